"""Embedding a search query the way the results were embedded.

The query goes to the same kind of server (the platform, or a local engine) with the
model the results name, through the Embed API v2 sync endpoint (``client.embed.v_2.create``)
for the models it serves; ``Marengo-retrieval-2.7`` results are queried through the v1 sync
endpoint (``client.embed.create``: text or an image). A vector whose length is not the
index's dimension is refused: it was made another way.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import video_rules
from ..errors import IncompatibleEmbeddingsError

if TYPE_CHECKING:
    from ..client import AsyncTwelveLabs
    from .index import SearchIndex

__all__ = ["V2_MODELS", "embed_query"]

V2_MODELS = ("marengo3.0",)
"""Models whose results are queried through the v2 sync endpoint."""


def _source(value: str) -> Any:
    """A URL as a ``media_source`` object; a local path as itself (the SDK sends it).

    Raises:
        ValueError: a URL whose scheme is not http(s).
        FileNotFoundError: no such file.
    """
    why = video_rules.unsupported_url(value)
    if why is not None:
        raise ValueError(why)
    if video_rules.url_scheme(value):
        return {"url": value}
    if not os.path.isfile(value):
        raise FileNotFoundError(f"{value}: no such file")
    return value


async def embed_query(
    client: AsyncTwelveLabs,
    index: SearchIndex,
    *,
    text: str | None = None,
    image: str | None = None,
    video: str | None = None,
    option: str = "visual",
) -> np.ndarray:
    """One query vector for ``index``: exactly one of ``text``, ``image`` (a path or URL)
    or ``video`` (a path or URL; its whole-asset ``option`` vector).

    Raises:
        ValueError: not exactly one query, or a query the model's endpoint cannot embed.
        IncompatibleEmbeddingsError: the answer's length is not the index's dimension.
        TwelveLabsError: the server refused the query.
    """
    if sum(q is not None for q in (text, image, video)) != 1:
        raise ValueError("give exactly one of text, image or video")
    model = index.model_name
    if model in V2_MODELS:
        vector = await _v2(client, model, text, image, video, option)
    elif model == "Marengo-retrieval-2.7":
        vector = await _v1(client, model, text, image, video)
    else:
        raise ValueError(f"cannot embed a query for model {model!r}")
    if vector.shape != (index.dimension,):
        raise IncompatibleEmbeddingsError(
            f"the query came back with {vector.size} dimensions, the results have "
            f"{index.dimension}: the server embeds {model} differently from the results"
        )
    return vector


async def _v2(
    client: AsyncTwelveLabs,
    model: str,
    text: str | None,
    image: str | None,
    video: str | None,
    option: str,
) -> np.ndarray:
    v2 = client.embed.v_2
    if text is not None:
        answer = await v2.create(input_type="text", model_name=model, text={"input_text": text})
    elif image is not None:
        answer = await v2.create(
            input_type="image", model_name=model, image={"media_source": _source(image)}
        )
    else:
        assert video is not None
        answer = await v2.create(
            input_type="video",
            model_name=model,
            video={
                "media_source": _source(video),
                "embedding_option": [option],
                "embedding_scope": ["asset"],
            },
        )
    matrix = answer.to_numpy()
    if len(matrix) == 0:
        raise ValueError("the server returned no embedding for the query")
    rows = [i for i, s in enumerate(matrix.embedding_scope) if s == "asset"] or [0]
    out: np.ndarray = matrix.vectors[rows[0]].astype(np.float32)
    return out


async def _v1(
    client: AsyncTwelveLabs, model: str, text: str | None, image: str | None, video: str | None
) -> np.ndarray:
    if video is not None:
        raise ValueError(
            f"{model} results take --text or --image queries (its sync endpoint has no video)"
        )
    if text is not None:
        answer = await client.embed.create(model, text=text)
    else:
        assert image is not None
        source = _source(image)
        url = isinstance(source, dict)
        answer = await client.embed.create(
            model, image_url=image if url else None, image_file=None if url else source
        )
    matrix = answer.to_numpy()
    if len(matrix) == 0:
        raise ValueError("the server returned no embedding for the query")
    out: np.ndarray = matrix.vectors[0].astype(np.float32)
    return out
