"""Service errors (subclasses of the library's one hierarchy) and the mapping to HTTP status."""

from __future__ import annotations

from typing import Any

from tailorfolio.errors import (
    DataError,
    MissingDependencyError,
    OptimizationError,
    ParameterError,
    ProfileError,
    TailorfolioError,
    TaxError,
)


class ServiceError(TailorfolioError):
    """An error of the web service itself; ``status`` is its HTTP status code.

    ``retry_after`` (seconds), when set, is sent as the ``Retry-After`` header.
    """

    status = 400

    def __init__(self, message: str, *, retry_after: int | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.retry_after = retry_after

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)} if self.retry_after else {}


class NotFoundError(ServiceError):
    """The resource does not exist or belongs to another advisor (never say which)."""

    status = 404


class AuthenticationError(ServiceError):
    """Missing, wrong or expired credentials."""

    status = 401


class PermissionDeniedError(ServiceError):
    """Signed in, but not allowed to do this (e.g. only firm admins add advisors)."""

    status = 403


class ConflictError(ServiceError):
    """The write conflicts with the current state (stale version, duplicate name)."""

    status = 409


class PayloadTooLargeError(ServiceError):
    """An upload or request body exceeds the configured limit."""

    status = 413


class TooManyAttemptsError(ServiceError):
    """Too many failed sign-ins from this address (for this e-mail or in all)."""

    status = 429


class TooManyJobsError(ServiceError):
    """This advisor already has the most plan jobs one advisor may have at once."""

    status = 429


class ServiceBusyError(ServiceError):
    """The server cannot take more work now (plan queue full, database busy)."""

    status = 503


class LimitError(ServiceError):
    """A documented input limit of the service is exceeded (counts, dates)."""

    status = 422


class CsrfError(ServiceError):
    """A form was posted without a valid CSRF token."""

    status = 403


def http_status(exc: TailorfolioError) -> int:
    """The 4xx status for a library or service error."""
    if isinstance(exc, ServiceError):
        return exc.status
    if isinstance(exc, (ProfileError, DataError, ParameterError, TaxError, OptimizationError)):
        return 422
    if isinstance(exc, MissingDependencyError):
        return 501
    return 400
