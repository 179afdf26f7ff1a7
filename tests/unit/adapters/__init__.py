"""Pins of what adapters/ relies on in each library: an upgrade that changes it fails here."""
