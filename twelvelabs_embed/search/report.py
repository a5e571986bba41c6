"""One self-contained HTML page for search hits or near-duplicates.

Everything is inside the file: the style sheet, and each thumbnail as a ``data:`` URI
(:mod:`.thumbnails`), so the page can be mailed or opened from anywhere, and it loads
nothing from the network. Text from results files is escaped.
"""

from __future__ import annotations

import base64
import html
import os
from collections.abc import Sequence
from pathlib import Path

from .index import Hit
from .similar import ClipPair, SimilarReport
from .thumbnails import thumbnail_jpeg

__all__ = ["render_hits", "render_similar", "write_report"]

_CSS = """
:root { --bg:#f6f7f9; --card:#fff; --ink:#1d2330; --muted:#667085; --accent:#3b6ef5;
        --accent2:#22b8a6; --line:#e4e7ec; }
* { box-sizing:border-box; }
body { margin:0; font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;
       background:var(--bg); color:var(--ink); }
header { padding:28px 36px 18px; background:linear-gradient(120deg,#1d2a56,#3b6ef5);
         color:#fff; }
header h1 { margin:0 0 6px; font-size:22px; font-weight:650; }
header p { margin:0; opacity:.85; }
main { padding:24px 36px 48px; display:grid; gap:14px; }
.card { display:grid; grid-template-columns:auto 1fr; gap:18px; align-items:center;
        background:var(--card); border:1px solid var(--line); border-radius:12px;
        padding:12px; box-shadow:0 1px 2px rgba(16,24,40,.05); }
.pair { grid-template-columns:auto auto 1fr; }
.thumb { position:relative; width:240px; aspect-ratio:16/9; border-radius:8px;
         overflow:hidden; background:#d0d5dd; }
.thumb img { width:100%; height:100%; object-fit:cover; display:block; }
.thumb .none { position:absolute; inset:0; display:grid; place-items:center;
               color:var(--muted); font-size:13px; }
.thumb .time { position:absolute; right:6px; bottom:6px; background:rgba(0,0,0,.7);
               color:#fff; font-size:12px; padding:1px 6px; border-radius:4px; }
.rank { color:var(--muted); font-size:13px; }
.source { font-weight:600; word-break:break-all; }
.meta { color:var(--muted); font-size:13px; margin:2px 0 10px; }
.chip { display:inline-block; background:#eef2ff; color:#3538cd; border-radius:999px;
        padding:0 8px; margin-right:6px; font-size:12px; }
.bar { height:10px; border-radius:999px; background:var(--line); overflow:hidden;
       max-width:420px; }
.bar span { display:block; height:100%;
            background:linear-gradient(90deg,var(--accent),var(--accent2)); }
.score { font-variant-numeric:tabular-nums; font-size:13px; margin-top:4px; }
h2 { margin:18px 0 4px; font-size:17px; }
.group { background:var(--card); border:1px solid var(--line); border-radius:12px;
         padding:10px 14px; }
.empty { color:var(--muted); }
"""


def _clock(seconds: float) -> str:
    s = max(0.0, float(seconds))
    minutes, sec = divmod(s, 60.0)
    if minutes >= 60:
        hours, minutes = divmod(minutes, 60.0)
        return f"{int(hours)}:{int(minutes):02d}:{sec:04.1f}"
    return f"{int(minutes)}:{sec:04.1f}"


def _thumb(source: str, start: float, end: float) -> str:
    jpeg = thumbnail_jpeg(source, start)
    label = f'<span class="time">{_clock(start)}–{_clock(end)}</span>'
    if jpeg is None:
        return f'<div class="thumb"><div class="none">no preview</div>{label}</div>'
    uri = "data:image/jpeg;base64," + base64.b64encode(jpeg).decode("ascii")
    alt = html.escape(f"{Path(source).name} at {_clock(start)}")
    return f'<div class="thumb"><img src="{uri}" alt="{alt}">{label}</div>'


def _bar(score: float) -> str:
    width = max(0.0, min(1.0, score)) * 100
    return f'<div class="bar"><span style="width:{width:.1f}%"></span></div>'


def _page(title: str, subtitle: str, body: str) -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>"
        f"<header><h1>{html.escape(title)}</h1><p>{html.escape(subtitle)}</p></header>"
        f"<main>{body}</main></body></html>"
    )


def render_hits(hits: Sequence[Hit], *, query: str, model_name: str = "") -> str:
    """A page with one card per hit: thumbnail, source, time range, option, score bar."""
    cards = []
    for rank, h in enumerate(hits, 1):
        cards.append(
            '<section class="card hit">'
            + _thumb(h.source, h.start_offset_sec, h.end_offset_sec)
            + f'<div><div class="rank">#{rank}</div>'
            f'<div class="source" title="{html.escape(h.source)}">'
            f"{html.escape(Path(h.source).name or h.source)}</div>"
            f'<div class="meta">{_clock(h.start_offset_sec)} – {_clock(h.end_offset_sec)} '
            f'<span class="chip">{html.escape(h.embedding_option)}</span>'
            f'<span class="chip">{html.escape(h.embedding_scope)}</span></div>'
            f'{_bar(h.score)}<div class="score">score {h.score:.3f}</div></div></section>'
        )
    body = "".join(cards) or '<p class="empty">No matches.</p>'
    subtitle = f"{len(hits)} hits" + (f" · {model_name}" if model_name else "")
    return _page(f"Search: {query}", subtitle, body)


def _pair_card(p: ClipPair) -> str:
    return (
        '<section class="card pair">'
        + _thumb(p.source_a, p.start_a, p.end_a)
        + _thumb(p.source_b, p.start_b, p.end_b)
        + f'<div><div class="source">{html.escape(Path(p.source_a).name)} '
        f"{_clock(p.start_a)}–{_clock(p.end_a)}</div>"
        f'<div class="source">{html.escape(Path(p.source_b).name)} '
        f"{_clock(p.start_b)}–{_clock(p.end_b)}</div>"
        f'<div class="meta"></div>{_bar(p.score)}<div class="score">score {p.score:.3f}</div>'
        "</div></section>"
    )


def render_similar(report: SimilarReport, *, max_pairs: int = 200) -> str:
    """Duplicate groups, then each video match with its clip pairs (two thumbnails each)."""
    parts = ["<h2>Near-duplicate groups</h2>"]
    for g in report.groups:
        names = ", ".join(html.escape(s) for s in g)
        parts.append(f'<div class="group">{names}</div>')
    if not report.groups:
        parts.append('<p class="empty">No near-duplicate videos.</p>')
    shown = 0
    for m in report.matches:
        kind = "duplicates" if m.duplicate else "partial match"
        parts.append(
            f"<h2>{html.escape(Path(m.source_a).name)} ↔ {html.escape(Path(m.source_b).name)}"
            f'</h2><p class="meta">{kind}: {m.coverage_a:.0%} / {m.coverage_b:.0%} of the '
            f"clips match, mean score {m.score:.3f}</p>"
        )
        for p in m.clip_pairs:
            if shown >= max_pairs:
                break
            parts.append(_pair_card(p))
            shown += 1
    subtitle = (
        f"{len(report.groups)} groups · {len(report.matches)} video matches · clips at "
        f"cosine ≥ {report.threshold:g}, duplicates cover ≥ {report.min_coverage:.0%} of both"
    )
    return _page("Near-duplicates", subtitle, "".join(parts))


def write_report(path: str | os.PathLike[str], page: str) -> Path:
    """Write ``page`` to ``path`` (UTF-8) and return the path."""
    out = Path(path)
    out.write_text(page, encoding="utf-8")
    return out
