"""The pure decisions of a resumable multipart upload: which bytes form which chunk,
what a rerun must still send, and when to report. No I/O, so each is tested by table.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Literal

import attrs

from .rules.assets import chunk_span

ResumeAction = Literal["start", "send", "finish"]


@attrs.frozen
class ChunkPlan:
    """A file of ``total_size`` bytes cut into chunks of ``chunk_size`` (numbered from 1)."""

    total_size: int
    chunk_size: int
    total_chunks: int

    def span(self, index: int) -> tuple[int, int]:
        """``(offset, length)`` of chunk ``index``."""
        if not 1 <= index <= self.total_chunks:
            raise ValueError(f"chunk {index} is not in 1..{self.total_chunks}")
        return chunk_span(index, self.chunk_size, self.total_size)

    def bytes_of(self, indices: Iterable[int]) -> int:
        return sum(self.span(i)[1] for i in indices)


@attrs.frozen
class ResumeDecision:
    """What a (re)run does: ``start`` a new session, ``send`` the ``missing`` chunks of
    the recorded one (after reporting ``report_first``), or ``finish`` (every chunk is in:
    only wait for the asset)."""

    action: ResumeAction
    missing: tuple[int, ...] = ()
    report_first: tuple[int, ...] = ()


def decide_resume(
    status: str | None,
    total_chunks: int,
    completed: Iterable[int],
    recorded_etags: Mapping[int, str],
) -> ResumeDecision:
    """Decide from the platform's answer, never from the local record alone.

    Args:
        status: the session's status (``None``: the platform no longer knows it).
        total_chunks: chunks in the session.
        completed: chunks the platform lists as ``completed``.
        recorded_etags: chunks this machine PUT (with their ETags), maybe never reported.
    """
    if status in (None, "expired", "failed"):
        return ResumeDecision("start")
    done = set(completed)
    if status == "completed" or len(done) >= total_chunks:
        return ResumeDecision("finish")
    missing = tuple(i for i in range(1, total_chunks + 1) if i not in done)
    report = tuple(i for i in missing if i in recorded_etags)
    return ResumeDecision("send", missing, report)


def batches(items: Sequence[int], size: int) -> list[list[int]]:
    """``items`` in lists of at most ``size``."""
    if size < 1:
        raise ValueError("size must be at least 1")
    return [list(items[i : i + size]) for i in range(0, len(items), size)]


def url_ranges(indices: Iterable[int], max_count: int) -> list[tuple[int, int]]:
    """``(start, count)`` requests covering ``indices``: contiguous runs of at most
    ``max_count`` (what ``get_additional_presigned_urls`` takes)."""
    out: list[tuple[int, int]] = []
    for i in sorted(set(indices)):
        if out and out[-1][0] + out[-1][1] == i and out[-1][1] < max_count:
            out[-1] = (out[-1][0], out[-1][1] + 1)
        else:
            out.append((i, 1))
    return out


def should_report(pending: int, batch_size: int, *, finished_sending: bool) -> bool:
    """Report when a batch is full, or whatever is left once nothing more is coming."""
    return pending >= batch_size or (finished_sending and pending > 0)
