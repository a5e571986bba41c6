"""Headless Chromium (Debian's ``chromium`` package) for screenshots of the HTML report."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import av
import numpy as np
import pytest

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
    "--force-device-scale-factor=1",
)


def chromium() -> str:
    """The browser's path; skips the test where it is not installed, fails in CI."""
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed (.ci/run installs Debian's package)")
        pytest.skip("chromium is not installed (apt-get install -y chromium)")
    return path


def screenshot(page: Path, out: Path, *, width: int = 1100, height: int = 1400) -> np.ndarray:
    """Open ``page`` in a fresh profile, save a PNG screenshot and return it as RGB."""
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [
                chromium(),
                *FLAGS,
                f"--user-data-dir={profile}",
                f"--window-size={width},{height}",
                f"--screenshot={out}",
                page.resolve().as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=180,
        )
    return read_png(out)


def read_png(path: Path) -> np.ndarray:
    with av.open(str(path)) as c:
        frame = next(c.decode(video=0))
        return frame.to_ndarray(format="rgb24")


def boxes_of_colour(
    img: np.ndarray, colour: tuple[int, int, int]
) -> list[tuple[int, int, int, int]]:
    """Bounding boxes (top, left, bottom, right) of the solid rectangles of ``colour``,
    found row band by row band (the report's thumbnails are stacked vertically)."""
    mask = np.all(np.abs(img.astype(int) - colour) <= 2, axis=-1)
    rows = np.flatnonzero(mask.sum(axis=1) > 100)
    out = []
    if rows.size == 0:
        return out
    breaks = np.flatnonzero(np.diff(rows) > 1)
    for band in np.split(rows, breaks + 1):
        cols = np.flatnonzero(mask[band[0] : band[-1] + 1].sum(axis=0) > len(band) // 2)
        out.append((int(band[0]), int(cols[0]), int(band[-1]) + 1, int(cols[-1]) + 1))
    return out
