"""Every python example in ``docs/testing.md`` runs as written: the blocks become one test
file in a fresh directory (with the real video the page asks for at
``tests/data/clip.mp4``), run by pytest in a subprocess against the plugin's engine,
once with this SDK and once with the official ``twelvelabs`` SDK.

The page's first block sets up this SDK, its "With the official SDK" block the official
one; a block whose first line is ``# this SDK only`` uses what only this SDK offers and
is left out of the official run (the page says why next to it).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.videos import make_video

pytestmark = [pytest.mark.timeout(600)]

DOC = Path(__file__).parents[2] / "docs" / "testing.md"
FENCE = re.compile(r"^```python\n(.*?)^```", re.S | re.M)
OFFICIAL_SETUP = "# With the official SDK"
THIS_SDK_ONLY = "# this SDK only"


def python_blocks() -> list[str]:
    return FENCE.findall(DOC.read_text(encoding="utf-8"))


def test_file_for(sdk: str) -> tuple[str, int]:
    """The page's examples as one test module for ``sdk``, and how many tests it holds."""
    setup, *rest = python_blocks()
    official = [b for b in rest if b.startswith(OFFICIAL_SETUP)]
    assert len(official) == 1, "the page has one block setting up the official SDK"
    examples = [b for b in rest if not b.startswith(OFFICIAL_SETUP)]
    if sdk == "official":
        setup = official[0]
        examples = [b for b in examples if not b.startswith(THIS_SDK_ONLY)]
    source = "\n\n".join([setup, *examples])
    return source, len(re.findall(r"^def test_", source, re.M))


test_file_for.__test__ = False  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def user_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A user's project: the video the page's examples read, nothing else."""
    root = tmp_path_factory.mktemp("docs-user")
    (root / "tests" / "data").mkdir(parents=True)
    make_video(
        root / "tests" / "data" / "clip.mp4", width=480, height=360, duration=4.5, fps=8, audio=True
    )
    return root


def test_the_page_has_examples_for_every_feature() -> None:
    source, count = test_file_for("this")
    for feature in ("faults.add", "tasks.fail", "clock.", "rate_limits.set", "requests.list"):
        assert feature in source, feature
    assert count >= 8
    official, official_count = test_file_for("official")
    assert "from twelvelabs import" in official and 0 < official_count < count


@pytest.mark.parametrize("sdk", ["this", "official"])
def test_the_examples_run(user_dir: Path, sdk: str) -> None:
    source, count = test_file_for(sdk)
    test_file = user_dir / f"test_docs_{sdk}.py"
    test_file.write_text(source, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("TWELVELABS_ENGINE_")}
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", test_file.name],
        cwd=user_dir,
        env=env,
        capture_output=True,
        text=True,
        timeout=580,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert f"{count} passed" in proc.stdout, proc.stdout[-2000:]
