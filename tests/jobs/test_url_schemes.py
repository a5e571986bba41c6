"""A URL the platform cannot fetch among a bulk job's inputs (issue #19 item 5).

``ftp://host/a.mp4`` used to be read as a local path and fail as "file not found" in
Python while the CLI refused it as a URL. Both now say the same thing, from one rule
(``video_rules.unsupported_url``): in Python it is that input's failure, and the rest of
the job runs. The real local engine, v1 and v2.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.jobs.conftest import copies
from twelvelabs_embed import AsyncTwelveLabs

pytestmark = pytest.mark.timeout(180)
WHY = "only http(s) URLs can be embedded, not ftp://"


@pytest.mark.parametrize("api", ["v1", "v2"])
async def test_an_ftp_url_is_one_clear_failure_and_the_rest_runs(
    client: AsyncTwelveLabs, engine: object, tiny_video: Path, tmp_path: Path, api: str
) -> None:
    (good,) = copies(tiny_video, tmp_path / "lib", 1)
    inputs = ["ftp://host/a.mp4", {"video_url": "FTP://host/b.mp4"}, good]
    many = client.embed.tasks.embed_many if api == "v1" else client.embed.v_2.tasks.embed_many
    results = await many(inputs, journal=tmp_path / "job.db", poll_interval=0.1)
    by_source = {r.source: r for r in results}
    for source, scheme in (("ftp://host/a.mp4", "ftp"), ("FTP://host/b.mp4", "FTP")):
        r = by_source[source]
        assert r.state == "failed" and not r.retryable, r
        assert (r.error_code, r.error_message) == ("invalid_input", WHY.replace("ftp", scheme))
    assert by_source[str(good)].state == "retrieved"


async def test_a_v2_media_source_string_with_another_scheme_is_refused_before_sending(
    client: AsyncTwelveLabs, engine: object
) -> None:
    with pytest.raises(ValueError, match=re.escape(WHY)):
        await client.embed.v_2.create(
            input_type="video", model_name="marengo3.0", video={"media_source": "ftp://h/a.mp4"}
        )
