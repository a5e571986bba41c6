"""twelvelabs-embed: video embeddings with the Twelve Labs Embed API, async first."""
