"""Run the benchmarks, each in its own process, then print one summary table.

    python -m benchmarks                   # all of them
    python -m benchmarks retrieve status   # a subset
    python -m benchmarks --quick           # fewer iterations: a smoke run

A benchmark is ``benchmarks/bench_<name>.py``; it writes ``benchmarks/results/<name>.json``.
Benchmarks owned by other work (``sync_overhead``, ``engine_speed``) are run when their
file exists and reported as missing otherwise; with ``--quick``, one with no quick mode
is skipped unless named. The summary goes to ``benchmarks/results/summary.json`` too.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from . import RESULTS_DIR, fmt_seconds, machine, render

HERE = Path(__file__).resolve().parent
DEFAULT = [
    "retrieve",
    "status",
    "upload",
    "sync_overhead",
    "engine_speed",
    "engine_latency",
    "bulk",
    "v2",
]


def _summary_rows(name: str, result: dict[str, Any]) -> list[list[str]]:
    rows = result.get("rows")
    if not isinstance(rows, list):
        return [[name, "", "(own format)", "", "", "", "", f"see results/{name}.json"]]
    out = []
    for r in rows:
        if not isinstance(r, dict):
            continue
        if r.get("skipped"):
            out.append(
                [name, r.get("group", ""), r.get("case", ""), "skipped", "", "", "", r["skipped"]]
            )
            continue
        if r.get("median") is None:
            continue
        ratio = r.get("ratio")
        if r.get("baseline") is None:
            ratio_s = "baseline" if any(x.get("baseline") == r.get("case") for x in rows) else ""
        else:
            ratio_s = f"{ratio:.2f}x" if isinstance(ratio, (int, float)) else "?"
        target = r.get("target")
        target_s = ""
        if target is not None and isinstance(ratio, (int, float)):
            target_s = f"<={target:g}x " + ("ok" if ratio <= target else "MISSED")
        extra = r.get("extra") or {}
        if "RSS target" in extra:
            target_s = (target_s + " " if target_s else "") + f"RSS {extra['RSS target']}"
        notes = ", ".join(f"{k} {extra[k]}" for k in ("MB/s", "ru_maxrss") if k in extra)
        span = f"{fmt_seconds(r['min'])}-{fmt_seconds(r['max'])}" if "min" in r else ""
        median = fmt_seconds(r["median"]) if r.get("unit", "s") == "s" else str(r["median"])
        out.append(
            [name, r.get("group", ""), r.get("case", ""), median, span, ratio_s, target_s, notes]
        )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "names", nargs="*", help=f"benchmarks to run (default: {' '.join(DEFAULT)})"
    )
    parser.add_argument("--quick", action="store_true", help="fewer iterations (< 60 s in all)")
    args = parser.parse_args(argv)
    names = args.names or DEFAULT
    unknown = [n for n in names if n not in DEFAULT and not (HERE / f"bench_{n}.py").exists()]
    if unknown:
        parser.error(f"no such benchmark: {', '.join(unknown)}")

    RESULTS_DIR.mkdir(exist_ok=True)
    started = time.time()
    lines = [["bench", "group", "case", "median", "min-max", "ratio", "target", "notes"]]
    status: dict[str, str] = {}
    for name in names:
        source = HERE / f"bench_{name}.py"
        if not source.exists():
            status[name] = "not present yet"
            lines.append([name, "", "", "missing", "", "", "", f"bench_{name}.py not written yet"])
            continue
        cmd = [sys.executable, "-m", f"benchmarks.bench_{name}"]
        if args.quick:
            if "--quick" not in source.read_text():
                if not args.names:  # a smoke run skips benchmarks with no quick mode
                    status[name] = "skipped: it has no --quick mode"
                    lines.append([name, "", "", "skipped", "", "", "", "no --quick mode"])
                    continue
            else:
                cmd.append("--quick")
        t0 = time.time()
        print(f"\n### {' '.join(cmd[1:])}", flush=True)
        done = subprocess.run(cmd, cwd=HERE.parent, check=False, timeout=3600)
        took = time.time() - t0
        out = RESULTS_DIR / f"{name}.json"
        if done.returncode != 0:
            status[name] = f"failed (exit {done.returncode})"
            lines.append([name, "", "", "FAILED", "", "", "", f"exit code {done.returncode}"])
            continue
        if not out.exists() or out.stat().st_mtime < t0:
            status[name] = f"ok ({took:.0f} s), but it wrote no results/{name}.json"
            lines.append([name, "", "", "ran", "", "", "", "see its own output above"])
            continue
        status[name] = f"ok ({took:.0f} s)"
        lines += _summary_rows(name, json.loads(out.read_text()))

    total = time.time() - started
    print("\n== summary" + (" (quick)" if args.quick else "") + f", {total:.0f} s in all")
    print(render(lines))
    for name, state in status.items():
        print(f"  {name}: {state}")
    summary = {
        "quick": args.quick,
        "started": started,
        "seconds": total,
        "machine": machine(),
        "command": " ".join(
            ["python -m benchmarks", *(argv if argv is not None else sys.argv[1:])]
        ),
        "status": status,
        "table": lines,
    }
    (RESULTS_DIR / "summary.json").write_text(json.dumps(summary, indent=1))
    return 0 if all(s.startswith(("ok", "not present", "skipped")) for s in status.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
