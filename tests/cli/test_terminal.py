"""The CLI in a pseudo-terminal, as a person sees it: the progress line, Ctrl-C, resume."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import struct
import sys
import termios
from pathlib import Path

import pytest

from tests.cli.shell import cli_env
from tests.videos import make_video

pytestmark = pytest.mark.timeout(240)


def run_in_terminal(
    args: list[str], cache: Path, *, interrupt_on: str | None = None
) -> tuple[int, str]:
    """Run the CLI on a 120-column pty; press Ctrl-C once ``interrupt_on`` is on screen."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: its stdin, stdout and stderr are the terminal
        os.execve(sys.executable, [sys.executable, "-m", "twelvelabs_embed", *args], cli_env(cache))
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    seen = b""
    pressed = False
    while True:
        ready, _, _ = select.select([fd], [], [], 120)
        if not ready:
            os.kill(pid, 9)
            raise AssertionError(f"no output for 120 s:\n{seen.decode(errors='replace')}")
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        seen += chunk
        if interrupt_on and not pressed and interrupt_on.encode() in seen:
            os.write(fd, b"\x03")  # the terminal sends SIGINT to the whole process group
            pressed = True
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return os.waitstatus_to_exitcode(status), seen.decode(errors="replace")


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("library")
    for n in range(4):
        make_video(folder / f"v{n}.mp4", duration=12.0, fps=15, seed=n, width=640, height=360)
    return folder


def test_ctrl_c_is_quiet_and_the_resumed_job_says_what_it_checks(
    tmp_path: Path, library: Path
) -> None:
    journal = tmp_path / "job.db"
    args = ["embed", str(library), "--journal", str(journal), "--poll-interval", "0.2"]
    code, screen = run_in_terminal(args, tmp_path, interrupt_on="processing")
    assert code == 130, screen
    assert "interrupted" in screen
    assert "Traceback" not in screen and "KeyboardInterrupt" not in screen, screen

    code, screen = run_in_terminal(args, tmp_path)
    assert code == 0, screen
    assert re.search(r"checking [1-4] tasks from the journal", screen), screen
    assert "embedding" in screen and "4/4" in screen  # the progress line
    assert screen.count("ready") >= 4 and "Traceback" not in screen
