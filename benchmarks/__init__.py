"""Client-side benchmarks: every figure is a ratio against a baseline timed in the same run.

Each ``bench_<name>.py`` module has ``main(argv) -> int``; it prints its own table and writes
``benchmarks/results/<name>.json`` through :class:`Report`. ``python -m benchmarks`` runs
them (each in its own process) and prints one summary table from those JSON files.

The helpers here are shared: :func:`summarize` (median and min-max of repeated timings),
:class:`Report` (rows, the ratio to a named baseline row, the table, the JSON file).
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

RESULTS_DIR = Path(__file__).resolve().parent / "results"


def summarize(samples: Sequence[float]) -> dict[str, float]:
    """Median, min and max of repeated measurements (the machine is noisy: quote medians)."""
    return {
        "median": statistics.median(samples),
        "min": min(samples),
        "max": max(samples),
        "n": len(samples),
    }


def machine() -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
    }


def fmt_seconds(value: float) -> str:
    if value >= 1:
        return f"{value:.2f} s"
    if value >= 1e-3:
        return f"{value * 1e3:.1f} ms"
    return f"{value * 1e6:.0f} us"


@dataclass
class Row:
    """One measured case. ``samples`` are seconds per repetition (lower is better).

    ``baseline`` names the row (same group) this one is divided by; ``target`` is the
    largest acceptable ratio, when the issue sets one. ``extra`` holds further table
    columns; ``data`` goes to the JSON file only.
    """

    group: str
    case: str
    samples: list[float] = field(default_factory=list)
    baseline: str | None = None
    target: float | None = None
    per: int = 1
    """Work items per sample (e.g. calls); adds a per-item and a rate column."""
    extra: dict[str, Any] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)
    """Written to the JSON file only."""
    skipped: str | None = None


class Report:
    """Collects rows, computes ratios, prints the table and writes the JSON file."""

    def __init__(self, name: str, title: str, *, quick: bool) -> None:
        self.name = name
        self.title = title
        self.quick = quick
        self.rows: list[Row] = []
        self.notes: list[str] = []
        self.started = time.time()
        self.params: dict[str, Any] = {}

    def add(self, row: Row) -> Row:
        self.rows.append(row)
        return row

    def _find(self, group: str, case: str) -> Row | None:
        return next((r for r in self.rows if r.group == group and r.case == case), None)

    def ratio(self, row: Row) -> float | None:
        if row.baseline is None or not row.samples:
            return None
        base = self._find(row.group, row.baseline)
        if base is None or not base.samples:
            return None
        return statistics.median(row.samples) / statistics.median(base.samples)

    def to_json(self) -> dict[str, Any]:
        rows = []
        for r in self.rows:
            ratio = self.ratio(r)
            item: dict[str, Any] = {
                "group": r.group,
                "case": r.case,
                "unit": "s",
                "per": r.per,
                "baseline": r.baseline,
                "ratio": ratio,
                "target": r.target,
                "met": None if r.target is None or ratio is None else ratio <= r.target,
                "skipped": r.skipped,
                "samples": r.samples,
                "extra": r.extra,
                "data": r.data,
            }
            if r.samples:
                item.update(summarize(r.samples))
            rows.append(item)
        return {
            "name": self.name,
            "title": self.title,
            "quick": self.quick,
            "started": self.started,
            "seconds": time.time() - self.started,
            "machine": machine(),
            "params": self.params,
            "notes": self.notes,
            "rows": rows,
        }

    def table(self) -> str:
        extra_cols: list[str] = []
        for r in self.rows:
            extra_cols += [k for k in r.extra if k not in extra_cols]
        head = ["group", "case", "median", "min-max", "n", "per call", "ratio", "target"]
        lines = [head + extra_cols]
        for r in self.rows:
            if r.skipped or not r.samples:
                lines.append(
                    [r.group, r.case, "skipped", r.skipped or "", "", "", "", ""]
                    + ["" for _ in extra_cols]
                )
                continue
            s = summarize(r.samples)
            ratio = self.ratio(r)
            if r.baseline is None:
                ratio_s = "baseline" if any(x.baseline == r.case for x in self.rows) else ""
            else:
                ratio_s = f"{ratio:.2f}x" if ratio is not None else "?"
            target_s = ""
            if r.target is not None and ratio is not None:
                target_s = f"<={r.target:g}x " + ("ok" if ratio <= r.target else "MISSED")
            per = ""
            if r.per > 1:
                per = f"{fmt_seconds(s['median'] / r.per)} ({r.per / s['median']:.0f}/s)"
            lines.append(
                [
                    r.group,
                    r.case,
                    fmt_seconds(s["median"]),
                    f"{fmt_seconds(s['min'])}-{fmt_seconds(s['max'])}",
                    str(s["n"]),
                    per,
                    ratio_s,
                    target_s,
                ]
                + [str(r.extra.get(k, "")) for k in extra_cols]
            )
        return render(lines)

    def finish(self) -> Path:
        """Print the table and notes; write ``results/<name>.json``; return its path."""
        print(f"\n== {self.title}" + (" (quick)" if self.quick else ""))
        print(self.table())
        for note in self.notes:
            print(f"  * {note}")
        RESULTS_DIR.mkdir(exist_ok=True)
        path = RESULTS_DIR / f"{self.name}.json"
        path.write_text(json.dumps(self.to_json(), indent=1))
        print(f"  -> {path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path}")
        sys.stdout.flush()
        return path


def render(lines: list[list[str]]) -> str:
    """A plain fixed-width table, first line as the header."""
    widths = [max(len(line[i]) for line in lines) for i in range(len(lines[0]))]
    out = []
    for n, line in enumerate(lines):
        out.append("  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip())
        if n == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)
