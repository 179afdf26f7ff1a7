"""Tests of the engine's insides (the only modules outside gql/engine/ that may import them)."""
