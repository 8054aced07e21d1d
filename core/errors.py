"""Errors a service raises for its callers to show: the API as JSON, pages as form errors."""

from typing import Any


class ServiceError(Exception):
    status = 400

    def __init__(self, detail: str, **extra: Any):
        super().__init__(detail)
        self.detail = detail
        self.extra = extra

    def as_json(self) -> dict[str, Any]:
        return {"detail": self.detail, **self.extra}


class InvalidInput(ServiceError):
    status = 400


class NotAllowed(ServiceError):
    status = 403


class Conflict(ServiceError):
    """The request is fine but the thing is not in a state that allows it (409)."""

    status = 409


class TooLarge(ServiceError):
    status = 413
