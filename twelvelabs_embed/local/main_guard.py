"""Refuse to start the engine from a script's unguarded top level, and say why.

The engine's worker processes start with ``forkserver`` (or ``spawn``), which re-imports
the main module in every worker. A script whose top level starts an engine without
``if __name__ == "__main__":`` would start it again in each worker, and the workers would
die in a storm of tracebacks that the engine can only report as broken videos. So before
any worker starts, look at what the main thread is running: if it is the main script's
top-level code and that line is not inside an ``if __name__ == "__main__":`` block, stop
with a message that says what to write instead.
"""

from __future__ import annotations

import ast
import sys
import threading
import types
from pathlib import Path

from ..errors import MainModuleNotGuardedError


def _reimported_main() -> types.ModuleType | None:
    """The main module when worker processes would re-run it, else ``None``."""
    main = sys.modules.get("__main__")
    if main is None:
        return None
    spec_name = getattr(getattr(main, "__spec__", None), "name", None)
    if spec_name is not None:  # ``python -m pkg`` is not re-run; ``-m pkg.mod`` is
        return None if spec_name == "__main__" or spec_name.endswith(".__main__") else main
    return main if getattr(main, "__file__", None) else None  # no file: REPL, notebook


def _module_frame_line(main: types.ModuleType) -> int | None:
    """The line of ``main``'s top-level code the main thread is running, if it is."""
    frame = sys._current_frames().get(threading.main_thread().ident or -1)
    while frame is not None:
        if frame.f_code.co_name == "<module>" and frame.f_globals is vars(main):
            return frame.f_lineno
        frame = frame.f_back
    return None


def _is_name_main_test(test: ast.expr) -> bool:
    return any(isinstance(n, ast.Name) and n.id == "__name__" for n in ast.walk(test))


def line_is_guarded(source: str, line: int) -> bool:
    """True when ``line`` lies inside an ``if __name__ == "__main__":`` block (at any depth)."""
    body: list[ast.stmt] = ast.parse(source).body
    while True:
        stmt = next((s for s in body if s.lineno <= line <= (s.end_lineno or s.lineno)), None)
        if stmt is None:
            return False
        if isinstance(stmt, ast.If) and _is_name_main_test(stmt.test):
            return True
        inner = [
            b
            for field in ("body", "orelse", "finalbody", "handlers")
            for b in getattr(stmt, field, [])
            if isinstance(b, ast.stmt)
        ]
        inner += [s for h in getattr(stmt, "handlers", []) for s in h.body]
        if not inner:
            return False
        body = inner


def check_main_guard() -> None:
    """Raise ``MainModuleNotGuardedError`` when the main script starts the engine unguarded."""
    main = _reimported_main()
    if main is None:
        return
    line = _module_frame_line(main)
    if line is None:  # the script's top level has finished (a thread, a callback)
        return
    path = Path(getattr(main, "__file__", ""))
    try:
        source = path.read_text(encoding="utf-8")
        guarded = line_is_guarded(source, line)
    except (OSError, SyntaxError, ValueError):
        return
    if not guarded:
        raise MainModuleNotGuardedError(
            f"{path.name}, line {line} starts the local engine outside "
            '`if __name__ == "__main__":`. The engine\'s worker processes re-import '
            f"{path.name}, so put the code that starts it under that guard, e.g.\n"
            '    if __name__ == "__main__":\n'
            "        asyncio.run(main())"
        )
