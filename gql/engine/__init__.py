"""The level-first executor and the read model it serves (public names: this module)."""
