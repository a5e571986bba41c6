"""Kept so ``from twelvelabs_embed.jobs.models import ...`` still works; the job types live
in :mod:`twelvelabs_embed.types.jobs`."""

from ..types.jobs import ItemResult, JobOptions, JobProgress

__all__ = ["ItemResult", "JobOptions", "JobProgress"]
