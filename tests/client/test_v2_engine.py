"""Every v2 and ``/embed`` method on both clients against the engine double (the
session's engine, reset around each test): real decoding, real vectors, the request log."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.client.conftest import make_client
from tests.engine_double import EngineDouble
from twelvelabs_embed import AsyncTwelveLabs, ParameterInvalidError

pytestmark = pytest.mark.timeout(180)


@pytest.fixture
async def engine_client(double: EngineDouble) -> AsyncIterator[AsyncTwelveLabs]:
    """As the shared fixture, but with room for a sync embedding of a real video under
    load (the shared one's 60 s is for answers that need at most a probe)."""
    async with make_client(double, timeout=120) as c:
        yield c


@pytest.fixture
def client(engine_client: AsyncTwelveLabs) -> AsyncTwelveLabs:
    """In this module ``client`` talks to the engine."""
    return engine_client


async def test_every_v2_method_against_the_engine(
    engine_client: AsyncTwelveLabs, double: EngineDouble, clip_path: Path
) -> None:
    v1 = await engine_client.embed.create("marengo3.0", text="a kite")
    assert v1.to_numpy().vectors.shape == (1, 512)
    now = await engine_client.embed.v_2.create(
        input_type="video",
        model_name="marengo3.0",
        video={
            "media_source": clip_path,
            "embedding_option": ["audio"],
            "embedding_scope": ["clip"],
        },
    )
    assert {d.embedding_option for d in now.data or []} == {"audio"}
    raw = await engine_client.embed.v_2.with_raw_response.create(
        input_type="text", model_name="marengo3.0", text={"input_text": "x"}
    )
    assert raw.status_code == 200 and raw.attempts == 1
    task = await engine_client.embed.v_2.tasks.create(
        input_type="video", model_name="marengo3.5", video={"media_source": clip_path}
    )
    assert task.id is not None and task.status == "processing"
    done = await engine_client.embed.v_2.tasks.wait_for_done(task.id, sleep_interval=0.05)
    assert done.status == "ready" and done.to_numpy().vectors.shape[1] == 512
    again = await engine_client.embed.v_2.tasks.retrieve(task.id)
    assert again.status == "ready"
    (many,) = await engine_client.embed.v_2.tasks.wait_for_many([task.id], sleep_interval=0.05)
    assert many.id == task.id
    assert [t.id async for t in engine_client.embed.v_2.tasks.as_completed([task.id])] == [task.id]
    assert [t.id async for t in await engine_client.embed.v_2.tasks.list()] == [task.id]
    logged = await double.requests(route="create_task_v2")
    assert len(logged) == 1 and logged[0].status == 202
    with pytest.raises(ParameterInvalidError):
        await engine_client.embed.v_2.create(
            input_type="video", model_name="marengo3.0", video={"media_source": {"asset_id": ""}}
        )


async def test_a_forced_failure_reaches_the_v2_waiter(
    engine_client: AsyncTwelveLabs, double: EngineDouble, clip_path: Path
) -> None:
    await double.control.lifecycle.set("manual")
    task = await engine_client.embed.v_2.tasks.create(
        input_type="audio", model_name="marengo3.0", audio={"media_source": clip_path}
    )
    assert task.id is not None
    await double.control.tasks.fail(
        task.id, message="The embedding task failed. Please try again later."
    )
    final = await engine_client.embed.v_2.tasks.wait_for_done(task.id, sleep_interval=0.05)
    assert final.status == "failed" and final.error is not None
    assert final.error.message == "The embedding task failed. Please try again later."
