"""The Growatt OpenAPI V1 client: `OpenApiV1` (alias `GrowattApiV1`) and its errors."""

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
    ServerError,
    ServerSideError,
    TransportError,
    WaitCancelledError,
)
from reconciler.growatt.servers import BadServerError

__all__ = [
    "BadResponseError", "BadServerError", "ConnectionFailedError", "DeviceNotFoundError",
    "DeviceOfflineError", "GrowattApiV1", "GrowattError", "HttpStatusError",
    "InvalidValueError", "OpenApiV1", "PermissionDeniedError", "RateLimitedError",
    "RequestTimeoutError", "ServerError", "ServerSideError", "TransportError",
    "WaitCancelledError",
]
