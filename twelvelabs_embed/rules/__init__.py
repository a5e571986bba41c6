"""The platform's limits and parameter rules, one module per API family; pure, no I/O.

- :mod:`twelvelabs_embed.video_rules`: v1 video tasks (``/embed/tasks``), and the shared
  :class:`~twelvelabs_embed.video_rules.Violation` every module returns.
- :mod:`.embed_v2`: Embed API v2, sync (``/embed-v2``) and tasks (``/embed-v2/tasks``).
- :mod:`.embed_v1_sync`: the v1 sync endpoint ``POST /embed`` (text, image, audio).

The SDK's preflight and the local engine both call these, so a request is refused with
the same code and message on either side. Nothing here imports the rest of the package
except ``video_rules``.
"""

from __future__ import annotations

from ..video_rules import Violation

__all__ = ["Violation"]
