"""The engine as a test double: its clock, faults, rate limits, task lifecycle and request log.

State only; the HTTP handlers live in ``local/http/control.py`` and are mounted only when
the engine runs with ``control=True``. The clock is always there: it is the engine's one
source of time.
"""
