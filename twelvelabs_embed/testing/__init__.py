"""Testing against the engine: the control-plane client and the pytest plugin.

Not imported by ``import twelvelabs_embed``. See ``docs/testing.md``.
"""

from .control import AsyncEngineControl, ClockState, EngineControl, Fault, LoggedRequest

__all__ = ["AsyncEngineControl", "ClockState", "EngineControl", "Fault", "LoggedRequest"]
