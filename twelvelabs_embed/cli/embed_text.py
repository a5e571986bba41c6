"""``twelvelabs-embed embed-text``: one text and/or image vector, printed or saved.

Through the Embed API v2 sync endpoint: ``text`` (or ``text_image`` with an image, or
``image`` alone) on ``marengo3.0``; ``multi_input`` on ``marengo3.5``, which also takes
``--dimension``. It prints one JSON object (``model_name``, ``dimension``, ``embedding``)
or writes ``--out`` (``.npy``: the float32 vector; ``.json``: the same object).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np
import orjson
from rich.console import Console

from .._aio import to_thread
from ..client import AsyncTwelveLabs
from .exit_codes import EXIT_FAILED, EXIT_OK
from .render import print_json, say


def request_fields(text: str | None, image: str | None, model: str) -> dict[str, Any]:
    """The ``v_2.create`` keyword arguments for a text and/or an image."""
    source: Any = None
    if image is not None:
        source = (
            {"url": image} if image.lower().startswith(("http://", "https://")) else Path(image)
        )
    if model == "marengo3.5":
        multi: dict[str, Any] = {}
        if text is not None:
            multi["input_text"] = text
        if source is not None:
            ref = source if isinstance(source, dict) else {"path": source}
            multi["media_sources"] = [{"media_type": "image", **ref}]
        return {"input_type": "multi_input", "multi_input": multi}
    if text is not None and source is not None:
        return {
            "input_type": "text_image",
            "text_image": {"input_text": text, "media_source": source},
        }
    if source is not None:
        return {"input_type": "image", "image": {"media_source": source}}
    return {"input_type": "text", "text": {"input_text": text}}


async def run_embed_text(
    client: AsyncTwelveLabs, args: argparse.Namespace, out: Console, console: Console
) -> int:
    if args.text is None and args.image is None:
        say(console, "error: give a text, --image, or both")
        return EXIT_FAILED
    if args.dimension is not None and args.model != "marengo3.5":
        say(console, "error: --dimension needs --model marengo3.5")
        return EXIT_FAILED
    if args.out and Path(args.out).suffix not in (".npy", ".json"):
        say(console, "error: --out must end in .npy or .json")
        return EXIT_FAILED
    res = await client.embed.v_2.create(
        model_name=args.model,
        embedding_dimension=args.dimension,
        **request_fields(args.text, args.image, args.model),
    )
    vector = res.to_numpy().vectors[0]
    doc = {"model_name": args.model, "dimension": int(vector.shape[0]), "embedding": vector}
    if args.out is None:
        print_json(out, doc)
        return EXIT_OK
    await to_thread(_save, args.out, vector, doc)
    say(console, f"wrote a {vector.shape[0]}-d vector to {args.out}")
    return EXIT_OK


def _save(path: str, vector: np.ndarray, doc: dict[str, Any]) -> None:
    if path.endswith(".npy"):
        np.save(path, vector)
    else:
        Path(path).write_bytes(orjson.dumps(doc, option=orjson.OPT_SERIALIZE_NUMPY))
