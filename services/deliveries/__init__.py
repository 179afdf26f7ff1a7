"""Store delivery (O2O): picking and riders, the exception queues, the courier platform."""
