"""Where the engine's media jobs run: the local process pool (default) or a Ray cluster."""
