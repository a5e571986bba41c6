"""An engine in a subprocess (``python -m twelvelabs_embed.local --port 0``), driven over
HTTP, with every process it starts tracked so a test can kill or reap them by pid."""

from __future__ import annotations

import contextlib
import re
import resource
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import psutil
import requests

KEY = "tlk_subprocess"
URL_LINE = re.compile(r"(http://127\.0\.0\.1:\d+/v1\.3)")


class EngineProcess:
    """One ``python -m twelvelabs_embed.local`` subprocess and every process it starts."""

    def __init__(
        self,
        data_dir: Path,
        workers: int = 1,
        *,
        file_size_limit: int | None = None,
        nofile: int | None = None,
        log_path: Path | None = None,
        extra_args: Sequence[str] = (),
        command: Sequence[str] = (sys.executable, "-m", "twelvelabs_embed.local"),
    ) -> None:
        """``file_size_limit`` sets ``RLIMIT_FSIZE`` in the child: a write past it fails
        with ``EFBIG`` (Python ignores ``SIGXFSZ``), a stand-in for a full disk.
        ``nofile`` sets its open-file limit; ``log_path`` keeps its log (else discarded).
        ``command`` starts the engine (``[".../twelvelabs-embed", "serve"]`` works too)."""

        def preexec() -> None:
            if file_size_limit is not None:
                resource.setrlimit(resource.RLIMIT_FSIZE, (file_size_limit, file_size_limit))
            if nofile is not None:
                resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))

        self._log = open(log_path, "w") if log_path is not None else None  # noqa: SIM115

        self.proc = subprocess.Popen(
            [*command, "--port", "0", "--data-dir",
             str(data_dir), "--workers", str(workers), "--api-key", KEY, "--log-level", "WARNING",
             *extra_args],
            stdout=subprocess.PIPE, stderr=self._log or subprocess.DEVNULL, text=True,
            preexec_fn=preexec,
        )  # fmt: skip
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        match = URL_LINE.search(line)
        assert match, f"no URL in {line!r}"
        self.base_url = match.group(1)
        self.port = int(self.base_url.split(":")[2].split("/")[0])
        self.session = requests.Session()
        self.session.headers["x-api-key"] = KEY
        self.seen: set[int] = set()

    def descendants(self) -> list[psutil.Process]:
        with contextlib.suppress(psutil.NoSuchProcess):
            kids = psutil.Process(self.proc.pid).children(recursive=True)
            self.seen.update(k.pid for k in kids)
            return kids
        return []

    def workers(self) -> list[psutil.Process]:
        """Pool workers: the forkserver's children (the forkserver itself is spared)."""
        out = []
        for p in self.descendants():
            with contextlib.suppress(psutil.NoSuchProcess):
                if p.ppid() != self.proc.pid:
                    out.append(p)
        return out

    def kill9(self) -> None:
        self.descendants()
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)
        self.reap()

    def reap(self) -> None:
        """Kill any process this engine started that outlived it (by pid, ours only)."""
        for pid in self.seen:
            with contextlib.suppress(psutil.NoSuchProcess):
                p = psutil.Process(pid)
                p.kill()
                p.wait(timeout=10)

    def stop(self) -> None:
        self.session.close()
        if self.proc.poll() is None:
            self.descendants()
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        assert self.proc.stdout is not None
        self.proc.stdout.close()
        if self._log is not None:
            self._log.close()
        self.reap()

    # --- API ---------------------------------------------------------------------------------

    def create(self, video: Path, **fields: str) -> str:
        files: list[tuple[str, Any]] = [("model_name", (None, "marengo3.0"))]
        files += [(k, (None, v)) for k, v in fields.items()]
        files.append(("video_file", (video.name, video.read_bytes(), "video/mp4")))
        r = self.session.post(self.base_url + "/embed/tasks", files=files, timeout=60)
        assert r.status_code == 200, r.text
        return str(r.json()["_id"])

    def status(self, task_id: str) -> dict[str, Any]:
        r = self.session.get(f"{self.base_url}/embed/tasks/{task_id}/status", timeout=30)
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        return body

    def wait_all(self, ids: list[str], timeout: float = 90) -> dict[str, dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while True:
            finals = {t: self.status(t) for t in ids}
            if all(b["status"] != "processing" for b in finals.values()):
                return finals
            assert time.monotonic() < deadline, {t: b["status"] for t, b in finals.items()}
            time.sleep(0.1)

    def retrieve(self, task_id: str) -> dict[str, Any]:
        r = self.session.get(f"{self.base_url}/embed/tasks/{task_id}", timeout=30)
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        return body
