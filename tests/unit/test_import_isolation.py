"""``import twelvelabs_embed`` loads neither the bulk job engine nor sqlite3."""

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


def test_importing_the_package_loads_no_jobs_and_no_sqlite() -> None:
    out = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == ""


def test_the_job_loads_when_it_is_used() -> None:
    probe = "import sys, twelvelabs_embed.jobs; print('sqlite3' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True"  # the probe itself can tell
