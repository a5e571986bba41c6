"""Bulk embedding jobs: resumable, rate-limit aware, results in the formats users load.

``client.embed.tasks.embed_many(...)`` is the entry point; this package holds its parts:
:mod:`.identity` (input keys), :mod:`.journal` (the job's SQLite, one owner), :mod:`.gate`
(the shared rate gate), :mod:`.output` (per-task parts merged into the output file) and
:mod:`.runner` (the workers and the poll loop).
"""

from ..errors import JournalBusyError
from ..types.jobs import ItemResult, JobProgress
from .gate import RateGate
from .identity import JobInput, make_inputs
from .journal import Entry, Journal

__all__ = [
    "Entry",
    "ItemResult",
    "JobInput",
    "JobProgress",
    "Journal",
    "JournalBusyError",
    "RateGate",
    "make_inputs",
]
