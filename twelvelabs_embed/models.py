"""Kept so ``from twelvelabs_embed.models import ...`` still works; the types live in
:mod:`twelvelabs_embed.types`."""

from .types import *  # noqa: F403
from .types import __all__ as __all__
