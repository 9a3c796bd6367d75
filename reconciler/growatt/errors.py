"""Typed errors of the Growatt API, mapped from `error_code` with its collisions (spec 4).

The same number means different things on different endpoints (spec 2.2, 2.7-2.9, 4.3),
so the mapping takes the family of endpoint that answered (`Kind`).
"""

from __future__ import annotations

from typing import Any, Literal

# Which family of endpoint answered: codes 10001-10013 mean different things on each.
Kind = Literal["read", "list", "telemetry", "history", "write", "read_param"]

RATE_LIMIT_MSG = "error_frequently_access"


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


class GrowattError(Exception):
    """Base of every error the client raises. Never carries the token.

    `operation` is the client method (`min_settings`, `write`, ...), `serial` the device
    asked about, `endpoint` the API path, `error_code`/`error_msg` the envelope's (None
    and "" when the error is not an API answer).
    """

    def __init__(self, message: str, *, operation: str = "", serial: str | None = None,
                 error_code: int | None = None, error_msg: str = "",
                 endpoint: str = "") -> None:
        super().__init__(message)
        self.message = _one_line(message)
        self.operation = operation
        self.serial = serial
        self.error_code = error_code
        self.error_msg = _one_line(error_msg)[:200]
        self.endpoint = endpoint

    def __str__(self) -> str:
        where = self.operation + (f" {self.serial}" if self.serial else "")
        code = (f" (error_code {self.error_code}: {self.error_msg or 'no message'})"
                if self.error_code is not None else "")
        return f"{where}: {self.message}{code}" if where else f"{self.message}{code}"


class RateLimitedError(GrowattError):
    """The cloud refuses an identical request repeated within its window (10012), or the
    client's own limiter knows it would. `retry_after`: seconds until it may go."""

    def __init__(self, message: str, *, retry_after: float = 0.0, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class PermissionDeniedError(GrowattError):
    """10011: a bad or expired token, or no right to this endpoint or device. The cloud
    also answers 10011 per endpoint for a valid token (spec 1.2), so one 10011 does not
    prove the token is bad."""


class DeviceOfflineError(GrowattError):
    """10003 (inverter) or 10005 (datalogger) on a write or a parameter read; `part` says
    which ("inverter" or "datalogger")."""

    @property
    def part(self) -> str:
        return "datalogger" if self.error_code == 10005 else "inverter"


class InvalidValueError(GrowattError):
    """A value the cloud (or the client, before sending) rejects: unknown type, empty,
    out of range, time format, end before start, overlapping segments, page size."""


class DeviceNotFoundError(GrowattError):
    """The serial (or plant) does not exist for this account."""


class ServerError(GrowattError):
    """10001 system error, 10002 server error (e.g. `error_useTrueHostToSet`), -1 retired
    host: the cloud cannot do it; retrying the same call does not help."""


ServerSideError = ServerError  # the name in earlier versions of this module


class TransportError(GrowattError):
    """The request did not produce an API answer. `kind` tells the subclasses apart:
    "timeout", "connection", "http_status" or "bad_response"."""

    kind = "transport"


class RequestTimeoutError(TransportError):
    """No answer within the read timeout (or no connection within the connect timeout)."""

    kind = "timeout"


class ConnectionFailedError(TransportError):
    """Refused, reset, DNS or TLS failure."""

    kind = "connection"


class HttpStatusError(TransportError):
    """An HTTP status of 400 or more; `status` holds it."""

    kind = "http_status"

    def __init__(self, message: str, *, status: int, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.status = status


class BadResponseError(TransportError):
    """A body that is not the JSON envelope (HTML login page, truncated JSON, ...)."""

    kind = "bad_response"


class WaitCancelledError(GrowattError):
    """A rate-limit wait was cancelled (Ctrl-C)."""


CodeTable = dict[int, tuple[type[GrowattError], str]]

# tlxSet / mixSet (spec 2.7, 2.8). 10012 is handled before this table.
WRITE_ERRORS: CodeTable = {
    10001: (ServerError, "system error"),
    10002: (ServerError, "server error (the device may be bound to another server)"),
    10003: (DeviceOfflineError, "the inverter is offline"),
    10004: (InvalidValueError, "the serial number is empty"),
    10005: (DeviceOfflineError, "the datalogger is offline"),
    10006: (InvalidValueError, "the parameter type does not exist"),
    10007: (InvalidValueError, "a parameter value is empty"),
    10008: (InvalidValueError, "a value is out of range (or segments would overlap)"),
    10009: (InvalidValueError, "the date or time format is wrong"),
    10012: (DeviceNotFoundError, "the device does not exist"),
    10013: (InvalidValueError, "the end time is earlier than the start time"),
}
# readMinParam / readMixParam (spec 2.9): the same numbers, other meanings.
READ_PARAM_ERRORS: CodeTable = {
    10001: (ServerError, "reading failed"),
    10002: (DeviceNotFoundError, "the device does not exist"),
    10003: (DeviceOfflineError, "the device is offline"),
    10004: (InvalidValueError, "the datalogger serial is empty"),
    10005: (DeviceOfflineError, "the datalogger is offline"),
    10006: (ServerError, "this datalogger type cannot read parameters"),
    10007: (ServerError, "this datalogger firmware cannot read parameters"),
    10008: (ServerError, "datalogger and server are not connected (restart it)"),
    10009: (InvalidValueError, "the parameter type does not exist"),
}
# plant/list, device/list, plant/energy (spec 2.1, 2.2, 4.1).
LIST_ERRORS: CodeTable = {
    10001: (ServerError, "system error"),
    10002: (InvalidValueError, "the plant id is empty"),
    10003: (DeviceNotFoundError, "the plant does not exist"),
    10013: (InvalidValueError, "the page size is over 100"),
    10014: (InvalidValueError, "the page count is over 250"),
}
# tlx_last_data / mix_last_data (spec 2.5).
TELEMETRY_ERRORS: CodeTable = {
    10001: (ServerError, "system error"),
    10002: (DeviceNotFoundError, "the device does not exist"),
    10003: (InvalidValueError, "the device serial is wrong"),
}
# tlx_data / mix_data: telemetry codes, plus the paging codes of list endpoints.
HISTORY_ERRORS: CodeTable = {**TELEMETRY_ERRORS, 10013: LIST_ERRORS[10013],
                            10014: LIST_ERRORS[10014]}
# tlx_set_info, tlx_data_info, mix_data_info (spec 2.3, 2.4, 2.6): only 10001 documented.
READ_ERRORS: CodeTable = {
    10001: (ServerError, "system error (or the device does not exist)"),
    10002: (DeviceNotFoundError, "the device does not exist"),
}
BY_KIND: dict[str, CodeTable] = {"write": WRITE_ERRORS, "read_param": READ_PARAM_ERRORS,
                                "list": LIST_ERRORS, "telemetry": TELEMETRY_ERRORS,
                                "history": HISTORY_ERRORS, "read": READ_ERRORS}


def is_rate_limit(code: int, error_msg: str, kind: Kind, serial_known: bool = False) -> bool:
    """Whether a 10012 is the rate limit (spec 4.3): always on reads; on writes only when
    the message says so, or, without a message, when the serial is known to exist."""
    if code != 10012:
        return False
    if kind != "write":
        return True
    message = error_msg.strip().lower()
    if message:
        return "frequently" in message
    return serial_known


def error_for(code: int, error_msg: str, *, kind: Kind, operation: str,
              serial: str | None, endpoint: str = "",
              serial_known: bool = False) -> GrowattError:
    """The typed error for an envelope with a non-zero `error_code`."""
    context: dict[str, Any] = {"operation": operation, "serial": serial, "error_code": code,
                               "error_msg": error_msg, "endpoint": endpoint}
    if code == 10011:
        return PermissionDeniedError(
            f"permission denied on {endpoint or 'this endpoint'}: the token is invalid or "
            "expired, or has no right to this endpoint or device", **context)
    if is_rate_limit(code, error_msg, kind, serial_known):
        return RateLimitedError("rate limited: the same request was made less than five "
                                "minutes ago", **context)
    if code == -1:
        return ServerError("this host is retired: use the new domain name", **context)
    if code == 10002 and kind == "write" and "truehost" in error_msg.lower():
        return ServerError("the cloud refuses writes through this server for this device "
                           "(error_useTrueHostToSet); writing from the ShinePhone app or web "
                           "portal may work", **context)
    if code == 10008 and kind == "write" and "overlap" in error_msg.lower():
        return InvalidValueError("the segment would overlap another enabled segment",
                                 **context)
    cls, text = BY_KIND[kind].get(code, (GrowattError, "the API returned an error"))
    return cls(text, **context)
