"""The local engine: a server that speaks the Embed API, with real decoding and encoding."""
