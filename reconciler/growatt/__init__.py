"""The Growatt OpenAPI V1 client."""

from __future__ import annotations

from reconciler.growatt.client import GrowattApiV1, OpenApiV1
from reconciler.growatt.errors import (
    BadResponseError,
    ConnectionFailedError,
    DeviceNotFoundError,
    DeviceOfflineError,
    GrowattError,
    HttpStatusError,
    InvalidValueError,
    PermissionDeniedError,
    RateLimitedError,
    RequestTimeoutError,
    ServerSideError,
    TransportError,
    WaitCancelledError,
)

__all__ = [
    "BadResponseError", "ConnectionFailedError", "DeviceNotFoundError", "DeviceOfflineError",
    "GrowattApiV1", "GrowattError", "HttpStatusError", "InvalidValueError", "OpenApiV1",
    "PermissionDeniedError", "RateLimitedError", "RequestTimeoutError", "ServerSideError",
    "TransportError", "WaitCancelledError",
]
