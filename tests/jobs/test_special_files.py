"""Special files among a bulk job's inputs (issue #20 item 1): ``/dev/zero`` (endless), a
FIFO (blocks whoever opens it), a symlink to either inside a folder. Each is one clear
failure row for its input; the rest of the job runs; nothing hangs. Real files, the real
local engine; the test's own timeout is the bound on "hangs"."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.jobs.conftest import copies
from twelvelabs_embed import AsyncTwelveLabs
from twelvelabs_embed.jobs import identity

pytestmark = [
    pytest.mark.timeout(180),
    pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs"),
]


@pytest.fixture
def folder(tmp_path: Path, tiny_video: Path) -> Path:
    lib = tmp_path / "library"
    copies(tiny_video, lib, 2)
    (lib / "zero.mp4").symlink_to("/dev/zero")
    os.mkfifo(lib / "fifo.mp4")
    (lib / "to-fifo.mp4").symlink_to(lib / "fifo.mp4")
    return lib


async def test_special_files_in_a_folder_fail_one_by_one(
    client: AsyncTwelveLabs, engine: object, folder: Path, tmp_path: Path
) -> None:
    results = await client.embed.tasks.embed_many(
        [folder, "/dev/zero"], journal=tmp_path / "job.db", poll_interval=0.1, concurrency=4
    )
    by_name = {Path(r.source).name: r for r in results}
    special = {"zero.mp4", "fifo.mp4", "to-fifo.mp4", "zero"}
    assert set(by_name) == {"v000.mp4", "v001.mp4", *special}
    for name in special:
        r = by_name[name]
        assert r.state == "failed" and not r.retryable, r
        assert "not a regular file" in (r.error_message or ""), r
    assert all(by_name[n].state == "retrieved" for n in ("v000.mp4", "v001.mp4"))
    # a second run over the same journal checks fingerprints: it must not hang either
    again = await client.embed.tasks.embed_many(
        [folder], journal=tmp_path / "job.db", poll_interval=0.1, retry_failed=True
    )
    assert {Path(r.source).name for r in again if r.state == "failed"} >= special - {"zero"}


@pytest.mark.parametrize("name", ["zero.mp4", "fifo.mp4", "to-fifo.mp4"])
def test_fingerprints_refuse_special_files(folder: Path, name: str) -> None:
    path = str(folder / name)
    assert identity.stamp(path) is None
    with pytest.raises(ValueError, match="not a regular file"):
        identity.content_hash(path)
