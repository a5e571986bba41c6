"""A bad ``--out`` (issue #20 item 14): found before the first upload, named in the
message (never a temporary file), and when the final write fails anyway the results stay
on disk where the message says."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.jobs.conftest import copies, engine_creates
from twelvelabs_embed import AsyncTwelveLabs
from twelvelabs_embed.results import read_results

pytestmark = pytest.mark.timeout(180)


@pytest.mark.parametrize("where", ["existing directory", "under /proc"])
async def test_a_bad_out_is_refused_before_any_upload(
    client: AsyncTwelveLabs, engine: object, tiny_video: Path, tmp_path: Path, where: str
) -> None:
    folder = tmp_path / "lib"
    copies(tiny_video, folder, 2)
    if where == "existing directory":
        out = tmp_path / "results.jsonl"
        out.mkdir()
    else:
        if not Path("/proc/self").exists():
            pytest.skip("needs /proc")
        out = Path("/proc/results.jsonl")
    with pytest.raises(OSError) as info:
        await client.embed.tasks.embed_many([folder], out=out, poll_interval=0.1)
    assert str(out) in str(info.value) and ".tmp" not in str(info.value)
    assert engine_creates(engine.data_dir / "tasks.sqlite3") == {}  # type: ignore[attr-defined]


async def test_when_the_final_write_fails_the_results_are_kept(
    client: AsyncTwelveLabs, engine: object, tiny_video: Path, tmp_path: Path
) -> None:
    """No journal; the output's temporary name is taken by a directory, so only the final
    write fails: the error names the output and the parts folder, which holds every row."""
    folder = tmp_path / "lib"
    copies(tiny_video, folder, 2)
    out = tmp_path / "results.npz"
    (tmp_path / ".results.npz.tmp.npz").mkdir()
    with pytest.raises(OSError) as info:
        await client.embed.tasks.embed_many([folder], out=out, poll_interval=0.1)
    message = str(info.value)
    parts = tmp_path / "results.npz.parts"
    assert str(out) in message and str(parts) in message, message
    kept = sorted(parts.glob("*.npz"))
    assert len(kept) == 2
    assert all(len(read_results(p)) > 0 for p in kept)
    assert not os.path.exists(out)
