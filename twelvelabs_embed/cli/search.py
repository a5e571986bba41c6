"""``search`` and ``similar``: results files in, ranked segments or duplicates out.

Both work offline on the files alone: ``--like SOURCE@SECONDS`` takes its query from the
results, and ``similar`` compares the results with themselves. Thumbnails for ``--html``
are cut from the sources when they are files on this machine.
"""

from __future__ import annotations

import argparse

from rich.console import Console

from ..search import SearchIndex
from ..search.commands import find_like, run_similar, search_like
from ..search.report import render_hits, render_similar, write_report
from .exit_codes import EXIT_OK
from .render import clip_pairs_table, hits_table, print_json, say, video_matches_table


def _index(args: argparse.Namespace, console: Console) -> SearchIndex:
    index = SearchIndex.from_results(args.results)
    say(console, f"{len(index)} segments of {len(index.sources())} source(s), "
                 f"{index.model_name or 'unnamed model'} ({index.dimension}-d)")  # fmt: skip
    return index


def run_search(args: argparse.Namespace, out: Console, console: Console) -> int:
    index = _index(args, console)
    like = find_like(index, args.like, option=args.option, scope=args.scope)
    query = f"like {like.source} {like.start:g}-{like.end:g} s"
    hits = search_like(index, like, top=args.top, option=args.option, scope=args.scope)
    if args.json:
        print_json(out, {"query": query, "model_name": index.model_name,
                         "hits": [h.to_dict() for h in hits]})  # fmt: skip
    else:
        out.print(hits_table(query, hits))
    if args.html:
        page = write_report(args.html, render_hits(hits, query=query, model_name=index.model_name))
        say(console, f"wrote {page}")
    return EXIT_OK


def run_similar_command(args: argparse.Namespace, out: Console, console: Console) -> int:
    index = _index(args, console)
    report = run_similar(
        index, threshold=args.threshold, min_coverage=args.min_coverage, option=args.option
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
