"""How a job says whether trying again could help."""

from __future__ import annotations


class TransientJobError(Exception):
    """Worth retrying later (a partner endpoint is down, a lock timed out ...)."""


class PermanentJobError(Exception):
    """Retrying will not help; the job goes to the failed list until someone requeues it."""
