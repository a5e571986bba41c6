"""``python -m twelvelabs_embed.local``: run the engine in the foreground."""

from .serve import main

if __name__ == "__main__":
    raise SystemExit(main())
