"""Using the client and the job types loads neither the bulk job engine nor sqlite3
(``tests/unit/test_imports.py`` checks the bare import and the import graph)."""

from __future__ import annotations

import subprocess
import sys

PROBE = """
import sys
import twelvelabs_embed
from twelvelabs_embed import AsyncTwelveLabs, TwelveLabs, ItemResult, JobOptions, JobProgress
AsyncTwelveLabs("k", base_url="http://127.0.0.1:9/v1.3")
loaded = sorted(m for m in sys.modules if m == "sqlite3" or m.startswith("twelvelabs_embed.jobs"))
print(",".join(loaded))
"""


def test_the_client_and_the_job_types_load_no_jobs_and_no_sqlite() -> None:
    out = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == ""
