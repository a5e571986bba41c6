"""``search`` and ``similar``: results files in, ranked segments or duplicates out.

``--like SOURCE@SECONDS`` and ``similar`` work on the files alone; ``--text``, ``--image``
and ``--video`` embed the query first, on the platform with a key, else on the built-in
local engine (``--encoder`` names the encoder the results were made with). Thumbnails for ``--html``
are cut from the sources when they are files on this machine.
"""

from __future__ import annotations

import argparse
import os

import numpy as np
from rich.console import Console

from ..client import API_KEY_ENV, BASE_URL_ENV
from ..search import SearchIndex
from ..search.commands import find_like, run_similar, search_like, search_vector
from ..search.query import embed_query
from ..search.report import render_hits, render_similar, write_report
from ..search.similar import visual_option
from .connect import connect
from .exit_codes import EXIT_OK
from .render import clip_pairs_table, hits_table, print_json, say, video_matches_table


def _index(args: argparse.Namespace, console: Console) -> SearchIndex:
    index = SearchIndex.from_results(args.results)
    say(console, f"{len(index)} segments of {len(index.sources())} source(s), "
                 f"{index.model_name or 'unnamed model'} ({index.dimension}-d)")  # fmt: skip
    return index


async def run_search(args: argparse.Namespace, out: Console, console: Console) -> int:
    index = _index(args, console)
    if args.like:
        like = find_like(index, args.like, option=args.option, scope=args.scope)
        query = f"like {like.source} {like.start:g}-{like.end:g} s"
        hits = search_like(index, like, top=args.top, option=args.option, scope=args.scope)
    else:
        option = args.option or visual_option(index)
        vector = await _embed(args, index, option, console)
        query = args.text if args.text is not None else (args.image or args.video)
        hits = search_vector(index, vector, top=args.top, option=option, scope=args.scope)
    if args.json:
        print_json(out, {"query": query, "model_name": index.model_name,
                         "hits": [h.to_dict() for h in hits]})  # fmt: skip
    else:
        out.print(hits_table(query, hits))
    if args.html:
        page = write_report(args.html, render_hits(hits, query=query, model_name=index.model_name))
        say(console, f"wrote {page}")
    return EXIT_OK


async def _embed(
    args: argparse.Namespace, index: SearchIndex, option: str, console: Console
) -> np.ndarray:
    """The query through the server the results came from (see ``search.query``)."""
    local = not (args.api_key or os.environ.get(API_KEY_ENV) or args.base_url
                 or os.environ.get(BASE_URL_ENV))  # fmt: skip
    if args.text is not None and local and args.encoder != "semantic":
        say(console, "note: only the semantic encoder relates text to pictures offline "
                     "(embed and search with --encoder semantic; needs the model extra)")  # fmt: skip
    async with connect(args, console) as client:
        return await embed_query(
            client, index, text=args.text, image=args.image, video=args.video, option=option
        )


async def run_similar_command(args: argparse.Namespace, out: Console, console: Console) -> int:
    index = _index(args, console)
    report = run_similar(
        index,
        threshold=args.threshold,
        min_coverage=args.min_coverage,
        option=args.option,
        refine=args.scope == "clip" or bool(args.html),  # only shown clip pairs are located
    )
    if args.json:
        data = report.to_dict()
        if args.scope == "clip":
            data = {k: v for k, v in data.items() if k != "matches"}
            data["clip_pairs"] = [p.to_dict() for p in report.clip_pairs]
        else:
            for m in data["matches"]:
                m.pop("clip_pairs")
        print_json(out, data)
    elif args.scope == "clip":
        out.print(clip_pairs_table(report))
    else:
        out.print(video_matches_table(report))
    if args.html:
        say(console, f"wrote {write_report(args.html, render_similar(report))}")
    return EXIT_OK
