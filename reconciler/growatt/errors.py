"""Typed errors of the Growatt API, mapped from `error_code` with its collisions (spec 4)."""

from __future__ import annotations

from typing import Any, Literal

# Which family of endpoint answered: codes 10001-10013 mean different things on each.
Kind = Literal["read", "list", "telemetry", "write", "read_param"]


class GrowattError(Exception):
    """Base of every error the client raises. Never carries the token."""

    def __init__(self, message: str, *, operation: str = "", serial: str | None = None,
                 error_code: int | None = None, error_msg: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.operation = operation
        self.serial = serial
        self.error_code = error_code
        self.error_msg = error_msg

    def __str__(self) -> str:
        where = f"{self.operation}" + (f" {self.serial}" if self.serial else "")
        code = f" (error_code {self.error_code}: {self.error_msg})" if self.error_code else ""
        return f"{where}: {self.message}{code}" if where else f"{self.message}{code}"


class RateLimitedError(GrowattError):
    """The cloud refuses an identical request repeated within its window (10012)."""

    def __init__(self, message: str, *, retry_after: float = 0.0, **kwargs: object) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.retry_after = retry_after


class PermissionDeniedError(GrowattError):
    """10011: a bad or expired token, or no right to this endpoint or device."""


class DeviceOfflineError(GrowattError):
    """10003 (inverter) or 10005 (datalogger) on a write or a parameter read."""

    @property
    def part(self) -> str:
        return "datalogger" if self.error_code == 10005 else "inverter"


class InvalidValueError(GrowattError):
    """The cloud rejected a value: unknown type, empty, out of range, time format,
    end before start, or overlapping segments."""


class DeviceNotFoundError(GrowattError):
    """The serial (or plant) does not exist for this account."""


class ServerSideError(GrowattError):
    """10001 system error, 10002 server error (e.g. error_useTrueHostToSet): no retry."""


class TransportError(GrowattError):
    """The request did not produce an API answer."""


class RequestTimeoutError(TransportError):
    pass


class ConnectionFailedError(TransportError):
    pass


class HttpStatusError(TransportError):
    def __init__(self, message: str, *, status: int, **kwargs: object) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.status = status


class BadResponseError(TransportError):
    """A body that is not the JSON envelope (HTML login page, truncated JSON, ...)."""


class WaitCancelledError(GrowattError):
    """A rate-limit wait was cancelled (Ctrl-C)."""


WRITE_ERRORS: dict[int, tuple[type[GrowattError], str]] = {
    10001: (ServerSideError, "system error"),
    10002: (ServerSideError, "server error (the device may be bound to another server)"),
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
READ_PARAM_ERRORS: dict[int, tuple[type[GrowattError], str]] = {
    10001: (ServerSideError, "reading failed"),
    10002: (DeviceNotFoundError, "the device does not exist"),
    10003: (DeviceOfflineError, "the device is offline"),
    10004: (InvalidValueError, "the datalogger serial is empty"),
    10005: (DeviceOfflineError, "the datalogger is offline"),
    10006: (ServerSideError, "this datalogger type cannot read parameters"),
    10007: (ServerSideError, "this datalogger firmware cannot read parameters"),
    10008: (ServerSideError, "datalogger and server are not connected (restart it)"),
    10009: (InvalidValueError, "the parameter type does not exist"),
}
LIST_ERRORS: dict[int, tuple[type[GrowattError], str]] = {
    10001: (ServerSideError, "system error"),
    10002: (InvalidValueError, "the plant id is empty"),
    10003: (DeviceNotFoundError, "the plant does not exist"),
    10013: (InvalidValueError, "the page size is over 100"),
    10014: (InvalidValueError, "the page count is over 250"),
}
TELEMETRY_ERRORS: dict[int, tuple[type[GrowattError], str]] = {
    10001: (ServerSideError, "system error"),
    10002: (DeviceNotFoundError, "the device does not exist"),
    10003: (InvalidValueError, "the device serial is wrong"),
}
READ_ERRORS: dict[int, tuple[type[GrowattError], str]] = {
    10001: (ServerSideError, "system error (or the device does not exist)"),
    10002: (DeviceNotFoundError, "the device does not exist"),
}
BY_KIND = {"write": WRITE_ERRORS, "read_param": READ_PARAM_ERRORS, "list": LIST_ERRORS,
           "telemetry": TELEMETRY_ERRORS, "read": READ_ERRORS}


def error_for(code: int, error_msg: str, *, kind: Kind, operation: str,
              serial: str | None) -> GrowattError:
    """The typed error for an envelope with a non-zero `error_code`."""
    context: dict[str, Any] = {"operation": operation, "serial": serial, "error_code": code,
                               "error_msg": error_msg}
    if code == 10011:
        return PermissionDeniedError("permission denied: the token is invalid or expired, or "
                                     "has no right to this endpoint or device", **context)
    # 10012 is the rate limit everywhere except on writes, where it means "no such device"
    # unless the message says otherwise (spec 4.3).
    if code == 10012 and (kind != "write" or "frequently" in error_msg.lower()):
        return RateLimitedError("rate limited: the same request was made less than five "
                                "minutes ago", **context)
    if code == -1:
        return ServerSideError("this host is retired: use the new domain name", **context)
    if code == 10008 and kind == "write" and "overlap" in error_msg.lower():
        return InvalidValueError("the segment would overlap another enabled segment",
                                 **context)
    cls, text = BY_KIND[kind].get(code, (GrowattError, "the API returned an error"))
    return cls(text, **context)
