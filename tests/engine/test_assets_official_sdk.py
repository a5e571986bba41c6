"""The official ``twelvelabs`` SDK 1.3.6, unchanged, against the engine's assets and
multipart uploads, its own ``multipart_upload.upload_file`` helper included."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from twelvelabs import TwelveLabs
from twelvelabs.core import ApiError

from tests.big_files import sha256_of, sparse_padded
from twelvelabs_embed.local.app_keys import ASSET_SERVICE
from twelvelabs_embed.local.engine import LocalEngine

from .conftest import API_KEY

pytestmark = [pytest.mark.timeout(120)]
CHUNK = 1024 * 1024


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[LocalEngine]:
    with LocalEngine(
        data_dir=tmp_path / "data", api_key=API_KEY, workers=1, upload_chunk_size=CHUNK
    ) as eng:
        yield eng


@pytest.fixture
def client(engine: LocalEngine) -> Iterator[TwelveLabs]:
    with httpx.Client(timeout=60) as http:
        yield TwelveLabs(api_key=API_KEY, base_url=engine.base_url, httpx_client=http)


def _idle(engine: LocalEngine) -> None:
    assert engine.app is not None and engine._portal is not None
    engine._portal.call(engine.app[ASSET_SERVICE].wait_idle)


def test_official_upload_file_helper_works_unchanged(
    engine: LocalEngine, client: TwelveLabs, media: dict[str, Path], tmp_path: Path
) -> None:
    big = sparse_padded(media["good"], tmp_path / "big.mp4", 23 * CHUNK + 123)  # 24 chunks
    seen = []
    result = client.multipart_upload.upload_file(
        big, batch_size=5, max_workers=3, progress_callback=seen.append
    )
    assert result.asset_url.endswith(f"/assets/{result.asset_id}")
    assert [p.completed_chunks for p in seen] == [5, 10, 15, 20, 24]
    _idle(engine)
    asset = client.assets.retrieve(result.asset_id)
    assert (asset.status, asset.method, asset.size) == ("ready", "multipart", big.stat().st_size)
    assert sha256_of(engine.data_dir / "assets" / result.asset_id) == sha256_of(big)
    assert not (tmp_path / "big_chunks").exists()  # its temporary copies are gone again


def test_official_low_level_calls(
    engine: LocalEngine, client: TwelveLabs, media: dict[str, Path], tmp_path: Path
) -> None:
    up = client.multipart_upload.create(filename="big.mp4", type="video", total_size=3 * CHUNK)
    assert (up.chunk_size, up.total_chunks, up.expires_at is not None) == (CHUNK, 3, True)
    assert [u.upload_id for u in client.multipart_upload.list_incomplete_uploads()] == [
        up.upload_id
    ]
    more = client.multipart_upload.get_additional_presigned_urls(up.upload_id, start=2, count=2)
    assert [u.chunk_index for u in more.upload_urls or []] == [2, 3]
    statuses = list(client.multipart_upload.get_status(up.upload_id, page_limit=2))
    assert [(c.index, c.status) for c in statuses] == [
        (1, "pending"),
        (2, "pending"),
        (3, "pending"),
    ]
    with pytest.raises(ApiError) as refused:
        client.multipart_upload.get_status("ffffffffffffffffffffffff")
    assert refused.value.status_code == 404
    with media["good"].open("rb") as f:
        created = client.assets.create(method="direct", file=("clip.mp4", f, "video/mp4"))
    assert created.status == "processing" and created.id
    _idle(engine)
    assert client.assets.retrieve(created.id).status == "ready"
    listed = list(client.assets.list(page_limit=1))
    assert {a.id for a in listed} == {created.id, up.asset_id}
    client.assets.delete(created.id)
    with pytest.raises(ApiError) as gone:
        client.assets.retrieve(created.id)
    assert gone.value.status_code == 404
