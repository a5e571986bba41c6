"""The journal file against what a user's disk holds (issue #20 items 8 and 13): other
names for the same file (a symlink, a hard link) meet the same lock; a corrupt file, a
directory, another SQLite database or a journal from a newer version is refused with one
line that names it, from the CLI too (never "internal error", exit 70)."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from tests.cli.shell import run
from tests.jobs.conftest import copies
from twelvelabs_embed import JournalBusyError, JournalError
from twelvelabs_embed.jobs import Journal

pytestmark = pytest.mark.timeout(120)


@pytest.mark.parametrize("how", ["symlink", "hardlink", "same name"])
async def test_another_name_for_the_journal_meets_the_lock(tmp_path: Path, how: str) -> None:
    path = tmp_path / "job.db"
    other = tmp_path / "other-name.db"
    async with Journal(path):
        if how == "symlink":
            other.symlink_to(path)
        elif how == "hardlink":
            os.link(path, other)
        else:
            other = path
        with pytest.raises(JournalBusyError, match="in use by another job"):
            async with Journal(other):
                pass
    async with Journal(other):  # free again once the first job ends
        pass


def _corrupt(p: Path) -> None:
    p.write_bytes(b"this is not an sqlite database at all" * 100)


def _newer(p: Path) -> None:
    conn = sqlite3.connect(p)
    conn.execute("CREATE TABLE inputs (key TEXT PRIMARY KEY, brand_new_column TEXT NOT NULL)")
    conn.execute("PRAGMA user_version = 99")
    conn.commit()
    conn.close()


def _foreign(p: Path) -> None:
    conn = sqlite3.connect(p)
    conn.execute("CREATE TABLE photos (id INTEGER)")
    conn.commit()
    conn.close()


def _directory(p: Path) -> None:
    p.mkdir()


MAKERS = {"corrupt": _corrupt, "newer": _newer, "foreign": _foreign, "directory": _directory}
WORDS = {"corrupt": "not a twelvelabs-embed journal", "newer": "newer twelvelabs-embed",
         "foreign": "not a twelvelabs-embed journal", "directory": "is a directory"}  # fmt: skip


@pytest.mark.parametrize("kind", list(MAKERS))
async def test_unusable_journals_are_one_clear_error(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "job.db"
    MAKERS[kind](path)
    with pytest.raises(JournalError, match=WORDS[kind]) as info:
        async with Journal(path):
            pass
    assert str(path) in str(info.value)


@pytest.mark.parametrize("kind", ["corrupt", "newer"])
def test_the_cli_says_one_line_and_does_not_touch_the_file(
    tmp_path: Path, tiny_video: Path, kind: str
) -> None:
    folder = tmp_path / "lib"
    copies(tiny_video, folder, 1)
    journal = tmp_path / "job.db"
    MAKERS[kind](journal)
    before = journal.read_bytes()
    proc = run(["embed", str(folder), "--journal", str(journal)], tmp_path / "cache")
    assert proc.returncode not in (0, 70), proc.stderr
    assert WORDS[kind] in proc.stderr and str(journal) in proc.stderr, proc.stderr
    assert "internal error" not in proc.stderr
    assert journal.read_bytes() == before
