"""``twelvelabs-embed serve`` / ``python -m twelvelabs_embed.local``: the engine in the foreground."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import signal
import sqlite3
import sys
from collections.abc import Sequence
from pathlib import Path

from ..video_rules import RETENTION_DAYS
from .engine import LocalEngine


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="twelvelabs-embed serve",
        description="Serve the Twelve Labs Embed API v1.3 (video embedding tasks) offline.",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port (0 = any free port)")
    p.add_argument("--data-dir", help="where tasks persist (default: a temporary directory)")
    p.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
    p.add_argument("--api-key", help="require this x-api-key (default: open)")
    p.add_argument(
        "--allow-private-urls",
        action="store_true",
        help="let video_url reach loopback/private addresses",
    )
    p.add_argument(
        "--retention-days",
        type=float,
        default=RETENTION_DAYS,
        help=f"purge tasks older than this (default {RETENTION_DAYS})",
    )
    p.add_argument(
        "--encoder",
        default="descriptor",
        help="'descriptor' (weight-free, default), 'efficientnet-lite0' (extra [model]) "
        "or 'torchscript:/path/model.pt[@SIDE]'",
    )
    p.add_argument(
        "--control",
        action="store_true",
        help="serve the test-double control plane under /_engine/ (needs --api-key)",
    )
    p.add_argument("--seed", type=int, help="seed for fault probabilities (with --control)")
    p.add_argument(
        "--scenario",
        help="JSON file of faults, rate_limits, lifecycle and clock to load (with --control)",
    )
    ray = p.add_argument_group("Ray cluster (extra [ray]; see docs/ray.md)")
    ray.add_argument(
        "--executor",
        choices=("local", "ray"),
        default="local",
        help="where videos are decoded and embedded: 'local' worker processes (default) "
        "or a Ray cluster ('--workers' is then the most jobs in flight)",
    )
    ray.add_argument(
        "--ray-address",
        help="'auto' (the cluster this machine joined) or HOST:PORT of the head node "
        "(default: RAY_ADDRESS, else a private single-machine Ray)",
    )
    ray.add_argument(
        "--ray-shared-dir",
        help="a directory at the same path on every node; videos over --ray-inline-max-mb "
        "go through it instead of the object store",
    )
    ray.add_argument(
        "--ray-shared-url", help="the URL serving --ray-shared-dir; workers download from it"
    )
    ray.add_argument(
        "--ray-inline-max-mb",
        type=float,
        default=64,
        help="largest video sent as bytes through Ray's object store (default 64)",
    )
    p.add_argument("--log-level", default="INFO", help="logging level (default INFO)")
    return p


async def _serve(engine: LocalEngine) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    async with engine:
        print(f"Embed API v1.3 at {engine.base_url} (data in {engine.data_dir})", flush=True)
        await stop.wait()


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.workers < 1:
        build_parser().error("--workers must be at least 1")
    if (args.seed is not None or args.scenario) and not args.control:
        build_parser().error("--seed and --scenario need --control")
    if args.control and not args.api_key:
        build_parser().error("--control needs --api-key (the control plane answers only to it)")
    scenario = None
    if args.scenario:
        try:
            scenario = json.loads(Path(args.scenario).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            build_parser().error(f"--scenario {args.scenario}: {exc}")
    ray_flags = (args.ray_address, args.ray_shared_dir, args.ray_shared_url)
    if args.executor != "ray" and any(f is not None for f in ray_flags):
        build_parser().error("--ray-address and --ray-shared-* need --executor ray")
    if args.ray_shared_url and not args.ray_shared_dir:
        build_parser().error(
            "--ray-shared-url needs --ray-shared-dir (where the engine puts files)"
        )
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(message)s"
    )
    engine = LocalEngine(
        data_dir=args.data_dir,
        api_key=args.api_key,
        workers=args.workers,
        allow_private_urls=args.allow_private_urls,
        port=args.port,
        host=args.host,
        retention_days=args.retention_days,
        encoder=args.encoder,
        control=args.control,
        seed=args.seed,
        scenario=scenario,
        executor=args.executor,
        ray_address=args.ray_address,
        ray_shared_dir=args.ray_shared_dir,
        ray_shared_url=args.ray_shared_url,
        ray_inline_max_bytes=int(args.ray_inline_max_mb * (1 << 20)),
    )
    try:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(_serve(engine))
    except (OSError, sqlite3.Error, ValueError) as exc:  # data dir, port, scenario
        print(f"twelvelabs-embed serve: cannot start: {exc}", file=sys.stderr)
        return 1
    return 0
