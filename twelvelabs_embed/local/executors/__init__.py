"""Executors: where the engine's media work runs (a local process pool, or a Ray cluster)."""
