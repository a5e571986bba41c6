"""The README's examples as user code; ``tests/unit/test_typing.py`` runs ``mypy --strict``
on this file, so the public types keep the README type-correct."""

from __future__ import annotations

import asyncio

from twelvelabs_embed import (
    AsyncTwelveLabs,
    HttpResponse,
    ItemResult,
    JobOptions,
    JobProgress,
    NotFoundError,
    TasksCreateResponse,
    TasksStatusResponse,
    TwelveLabs,
)


async def main() -> None:
    async with AsyncTwelveLabs() as client:  # TWELVE_LABS_API_KEY, TWELVELABS_BASE_URL
        task = await client.embed.tasks.create(
            "marengo3.0",
            video_file="talk.mp4",
            video_clip_length=6,
            video_embedding_scope=["clip", "video"],
            on_upload_progress=lambda sent, total: print(f"{sent}/{total} bytes"),
        )
        final = await client.embed.tasks.wait_for_done(
            task.id, sleep_interval=2, timeout=600, callback=lambda s: print(s.status)
        )
        if final.status == "failed":
            raise SystemExit(
                f"{final.error.code}: {final.error.message}" if final.error else "failed"
            )
        result = await client.embed.tasks.retrieve(task.id)
        matrix = result.to_numpy()
        print(matrix.vectors.shape, matrix.select(embedding_option="visual").start_offset_sec)

        raw: HttpResponse[TasksCreateResponse] = await client.embed.tasks.with_raw_response.create(
            "marengo3.0", video_url="https://example.com/clip.mp4"
        )
        print(raw.status_code, raw.headers.get("x-ratelimit-remaining"), raw.attempts, raw.data.id)

        pager = await client.embed.tasks.list(page_limit=10)
        async for listed in pager:
            print(listed.id, listed.status)

        def on_progress(p: JobProgress) -> None:
            print(p.done, p.total, p.eta_sec)

        results: list[ItemResult] = await client.embed.tasks.embed_many(
            ["videos/"], journal="job.db", out="vectors.parquet", concurrency=4,
            on_progress=on_progress,
        )  # fmt: skip
        again = await client.embed.tasks.embed_many(
            ["videos/"], options=JobOptions(journal="job.db", max_attempts=3)
        )
        print([r.error_code for r in results if not r.ok], len(again))
        try:
            await client.embed.tasks.status("0" * 24)
        except NotFoundError as exc:
            print(exc.status_code, exc.code, exc.request_id, exc.retryable)


def sync_main() -> None:
    with TwelveLabs() as client:
        task = client.embed.tasks.create("marengo3.0", video_url="https://example.com/clip.mp4")
        final: TasksStatusResponse = client.embed.tasks.wait_for_done(
            task.id, callback=lambda s: print(s.status)
        )
        print(final.status == "ready")
        for segment in client.embed.tasks.retrieve(task.id).segments:
            print(segment.embedding_option, segment.start_offset_sec, len(segment.float_ or []))
        for listed in client.embed.tasks.list():
            print(listed.id)
        raw = client.embed.tasks.with_raw_response.status(task.id)
        print(raw.data.status, raw.request_id)


if __name__ == "__main__":
    asyncio.run(main())
