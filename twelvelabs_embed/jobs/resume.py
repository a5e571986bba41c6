"""What a re-run needs to know: did a file change, and did a lost upload create a task.

The platform has no idempotency key, so an upload whose answer was lost (a crash, a
dropped connection, a 5xx) may or may not have created a task. Before uploading again
the runner looks for it: a task created since the attempt began (minus a clock-skew
margin), with the same ``input_filename`` (or ``input_url``), model and clip length, that
no input of the journal has claimed. The newest such task is adopted.

Residual risk, by design: a task created in that window by someone else (another job,
another machine on the same account) for a file with the same name and parameters could
be adopted instead of ours; and inputs this job cannot tell apart by name (``a/x.mp4``
and ``b/x.mp4`` with the same parameters) are never adopted, so a lost upload of one of
them is uploaded again and may exist twice on the platform. The job's output still has
exactly one task per input.
"""

from __future__ import annotations

from datetime import datetime, timezone

from .._aio import to_thread
from . import identity
from .identity import JobInput
from .journal import Entry, Journal
from .tasks_api import TasksApi


def signature(inp: JobInput) -> tuple[str, str, str]:
    """What the platform's task metadata can tell about an input."""
    name = inp.filename if inp.kind == "file" else inp.locator
    create = {k: v for k, v in inp.params.items() if k != "embedding_option"}
    return inp.kind, name or "", repr(sorted(create.items()))


async def find_lost_task(
    tasks: TasksApi, inp: JobInput, since: float, claimed: set[str]
) -> str | None:
    """The newest unclaimed task matching ``inp`` created after ``since`` (epoch s)."""
    started_at = datetime.fromtimestamp(since, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    clip = inp.params.get("video_clip_length")
    pager = await tasks.list(started_at=started_at, page_limit=50)
    async for task in pager:  # newest first
        if task.created_at is not None and task.created_at.timestamp() < since - 1:
            break
        md = task.video_embedding.metadata if task.video_embedding else None
        if task.id is None or task.id in claimed or md is None:
            continue
        if inp.kind == "url":
            same = md.input_url == inp.locator
        else:
            same = md.input_filename == inp.filename
        if not same or (task.model_name and task.model_name != inp.model_name):
            continue
        other_clip = md.video_clip_length
        if clip is not None and other_clip is not None and float(other_clip) != float(clip):
            continue
        return task.id
    return None


async def content_changed(journal: Journal, inp: JobInput, e: Entry) -> bool:
    """Size and mtime first; when they differ, the SHA-256 decides (a touched or
    copied-back file is the same input, its new stamp is recorded)."""
    now = identity.stamp(inp.locator)
    if now is None:
        return True
    if (now.size, now.mtime_ns) == (e.size, e.mtime_ns):
        return False
    digest = await to_thread(identity.content_hash, inp.locator)
    if digest != e.sha256:
        return True
    await journal.set_fingerprint(inp.key, now.size, now.mtime_ns, digest)
    return False
