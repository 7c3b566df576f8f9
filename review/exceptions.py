"""Domain errors; app/errors.py maps them to HTTP status codes."""

from __future__ import annotations


class DomainError(Exception):
    """Base class: `code` is a stable machine-readable name, the message is for people (zh-CN)."""

    code = "domain_error"

    def __init__(self, message: str, *, code: str | None = None, details: object = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.details = details


class NotFound(DomainError):
    code = "not_found"


class NotAllowed(DomainError):
    """The actor's role or a separation-of-duties rule forbids this (HTTP 403)."""

    code = "forbidden"


class InvalidTransition(DomainError):
    """The action is not allowed in the article's current state (HTTP 409)."""

    code = "invalid_transition"


class StaleVersion(DomainError):
    """The client acted on an old version, or lost a race (HTTP 409)."""

    code = "stale_version"


class Conflict(DomainError):
    """Duplicate or otherwise conflicting data (HTTP 409)."""

    code = "conflict"


class InvalidInput(DomainError):
    """Well-formed request with unacceptable content (HTTP 422)."""

    code = "invalid_input"


class AuthenticationFailed(DomainError):
    code = "unauthorized"
