"""The client's pure parts: tolerant parsing, error-code mapping with its collisions,
server URL rules, the limiter file, backoff. No network here (see test_client.py)."""

from __future__ import annotations

import json
import threading
from datetime import time
from pathlib import Path

import pytest

from reconciler.growatt import errors, parsing
from reconciler.growatt.limiter import Limiter, request_key
from reconciler.growatt.servers import (
    BadServerError,
    api_url_from_server_url,
    base_url,
    host_url,
    is_loopback,
)
from reconciler.growatt.transport import Transport, _retryable

# ---- parsing --------------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "expected"), [
    ("3:0", "03:00"), ("0:0", "00:00"), ("18:0", "18:00"), ("21:30", "21:30"),
    ("03:05", "03:05"), (" 7:5 ", "07:05"), ("23:59", "23:59"),
    ("null", "00:00"), ("", "00:00"), (None, "00:00"), ("NULL", "00:00"), ("None", "00:00"),
])
def test_hhmm_tolerant(raw: object, expected: str) -> None:
    assert parsing.hhmm(raw) == expected


@pytest.mark.parametrize("raw", ["11:187", "24:00", "7", "7:", "ab:cd", 730, 7.5, "1:2:3"])
def test_hhmm_garbage(raw: object) -> None:
    assert parsing.hhmm(raw) == "00:00"  # tolerant, like the community client
    with pytest.raises(ValueError):
        parsing.hhmm(raw, strict=True)


def test_hhmm_strict_still_tolerates_unset() -> None:
    for raw in ("null", "", None):
        assert parsing.hhmm(raw, strict=True) == "00:00"


@pytest.mark.parametrize(("raw", "expected"), [
    (80, 80), (80.0, 80), ("80", 80), ("80.0", 80), (True, 1), (0, 0),
    ("null", None), ("", None), (None, None), ("abc", None), (float("nan"), None),
])
def test_to_int(raw: object, expected: int | None) -> None:
    assert parsing.to_int(raw, None) == expected


def test_to_int_strict() -> None:
    with pytest.raises(ValueError):
        parsing.to_int("abc", 0, strict=True)
    with pytest.raises(ValueError):
        parsing.to_int(float("inf"), 0, strict=True)
    assert parsing.to_int("null", 7, strict=True) == 7


@pytest.mark.parametrize(("raw", "expected"), [
    (1, True), ("1", True), (1.0, True), (0, False), ("null", False), (None, False),
    ("", False), (2, False)])
def test_to_flag(raw: object, expected: bool) -> None:
    assert parsing.to_flag(raw) is expected


@pytest.mark.parametrize(("value", "expected"), [
    (time(7, 5), ("7", "5")), ("07:05", ("7", "5")), ("0:0", ("0", "0")),
    ("23:59", ("23", "59")), (time(0, 0), ("0", "0"))])
def test_hour_minute_unpadded(value: time | str, expected: tuple[str, str]) -> None:
    assert parsing.hour_minute(value) == expected


@pytest.mark.parametrize("value", ["25:00", "null", "", "noon", 7])
def test_hour_minute_refuses(value: object) -> None:
    with pytest.raises(ValueError):
        parsing.hour_minute(value)  # type: ignore[arg-type]


@pytest.mark.parametrize(("value", "expected"), [
    (True, "1"), (False, "0"), (80, "80"), (80.0, "80"), (0.9, "0.9"), ("0001", "0001"),
    (None, ""), ("", "")])
def test_param_text(value: object, expected: str) -> None:
    assert parsing.param_text(value) == expected


def test_unwrap() -> None:
    data = {"chargePowerCommand": 80}
    assert parsing.unwrap(data) is data
    assert parsing.unwrap({"data": data, "error_code": 0}) is data
    assert parsing.unwrap(None) == {}
    assert parsing.unwrap("") == {}


def test_time_segments_shapes() -> None:
    settings = {"time1Mode": 1, "forcedTimeStart1": "23:30", "forcedTimeStop1": "23:59",
                "forcedStopSwitch1": 1,
                "time2Mode": "2", "forcedTimeStart2": "0:0", "forcedTimeStop2": "5:30",
                "forcedStopSwitch2": "1",
                "time3Mode": "null", "forcedTimeStart3": "null", "forcedTimeStop3": None,
                "forcedStopSwitch3": "null",
                "time4Mode": 7, "forcedTimeStart4": "11:187", "forcedStopSwitch4": 0}
    segments = parsing.time_segments(settings)
    assert len(segments) == 9
    assert segments[0] == {"segment_id": 1, "batt_mode": 1, "mode_name": "Battery First",
                           "start_time": "23:30", "end_time": "23:59", "enabled": True}
    assert segments[1]["mode_name"] == "Grid First"
    assert (segments[1]["start_time"], segments[1]["enabled"]) == ("00:00", True)
    assert segments[2] == {"segment_id": 3, "batt_mode": None, "mode_name": "Unknown",
                           "start_time": "00:00", "end_time": "00:00", "enabled": False}
    assert (segments[3]["batt_mode"], segments[3]["mode_name"]) == (7, "Unknown")
    assert segments[8]["batt_mode"] is None  # missing keys


def test_stop_soc_key_order() -> None:
    # spec 2.6 / 6.2: the unsuffixed key first, else the ...2 key, else the default
    assert parsing.stop_soc({"wchargeSOCLowLimit": 90, "wchargeSOCLowLimit2": 95},
                            "wchargeSOCLowLimit", 100) == 90
    assert parsing.stop_soc({"wchargeSOCLowLimit": "null", "wchargeSOCLowLimit2": 95},
                            "wchargeSOCLowLimit", 100) == 95
    assert parsing.stop_soc({"wchargeSOCLowLimit": "", "wchargeSOCLowLimit2": "95"},
                            "wchargeSOCLowLimit", 100) == 95
    assert parsing.stop_soc({"wchargeSOCLowLimit1": 10}, "wchargeSOCLowLimit", 100) == 100
    assert parsing.stop_soc({}, "wchargeSOCLowLimit", None) is None


def test_ac_times_defaults_and_strict() -> None:
    assert parsing.ac_charge_times({}) == {
        "charge_power": 0, "charge_stop_soc": 100, "mains_enabled": False,
        "periods": [{"period_id": i, "start_time": "00:00", "end_time": "00:00",
                     "enabled": False} for i in (1, 2, 3)]}
    assert parsing.ac_discharge_times({})["discharge_stop_soc"] == 10
    strict = parsing.ac_charge_times({}, strict=True)
    assert (strict["charge_power"], strict["charge_stop_soc"]) == (None, None)
    with pytest.raises(ValueError):
        parsing.ac_discharge_times({"forcedDischargeTimeStart2": "11:187"}, strict=True)
    with pytest.raises(ValueError):
        parsing.ac_charge_times({"chargePowerCommand": "lots"}, strict=True)


# ---- error mapping --------------------------------------------------------------------
def make(code: int, kind: errors.Kind, msg: str = "", known: bool = False
         ) -> errors.GrowattError:
    return errors.error_for(code, msg, kind=kind, operation="op", serial="SN1",
                            endpoint="ep", serial_known=known)


@pytest.mark.parametrize(("code", "kind", "msg", "cls"), [
    # 10012: the rate limit on reads, "no such device" on writes (spec 4.3)
    (10012, "read", "error_frequently_access", errors.RateLimitedError),
    (10012, "read", "", errors.RateLimitedError),
    (10012, "list", "", errors.RateLimitedError),
    (10012, "read_param", "", errors.RateLimitedError),
    (10012, "write", "error_device_not_exist", errors.DeviceNotFoundError),
    (10012, "write", "error_frequently_access", errors.RateLimitedError),
    (10012, "write", "", errors.DeviceNotFoundError),
    # 10013: end before start on writes, page size on list endpoints
    (10013, "write", "", errors.InvalidValueError),
    (10013, "list", "", errors.InvalidValueError),
    (10013, "history", "", errors.InvalidValueError),
    (10014, "list", "", errors.InvalidValueError),
    # 10001-10009: writes vs parameter reads vs lists
    (10001, "write", "", errors.ServerError),
    (10002, "write", "error_useTrueHostToSet", errors.ServerError),
    (10003, "write", "", errors.DeviceOfflineError),
    (10004, "write", "", errors.InvalidValueError),
    (10005, "write", "", errors.DeviceOfflineError),
    (10006, "write", "", errors.InvalidValueError),
    (10007, "write", "", errors.InvalidValueError),
    (10008, "write", "", errors.InvalidValueError),
    (10009, "write", "", errors.InvalidValueError),
    (10001, "read_param", "", errors.ServerError),
    (10002, "read_param", "", errors.DeviceNotFoundError),
    (10003, "read_param", "", errors.DeviceOfflineError),
    (10005, "read_param", "", errors.DeviceOfflineError),
    (10006, "read_param", "", errors.ServerError),
    (10008, "read_param", "", errors.ServerError),
    (10009, "read_param", "", errors.InvalidValueError),
    (10002, "list", "", errors.InvalidValueError),
    (10003, "list", "", errors.DeviceNotFoundError),
    (10002, "telemetry", "", errors.DeviceNotFoundError),
    (10003, "telemetry", "", errors.InvalidValueError),
    (10001, "read", "", errors.ServerError),
    (10011, "read", "error_permission_denied", errors.PermissionDeniedError),
    (10011, "write", "", errors.PermissionDeniedError),
    (-1, "read", "", errors.ServerError),
    (12345, "read", "", errors.GrowattError),
])
def test_error_mapping(code: int, kind: errors.Kind, msg: str,
                       cls: type[errors.GrowattError]) -> None:
    error = make(code, kind, msg)
    assert type(error) is cls
    assert (error.error_code, error.error_msg, error.operation, error.serial,
            error.endpoint) == (code, msg, "op", "SN1", "ep")


def test_10013_texts_differ_by_endpoint() -> None:
    assert "end time" in str(make(10013, "write"))
    assert "page size" in str(make(10013, "list"))


def test_10012_without_message_on_a_known_serial_is_the_rate_limit() -> None:
    # spec 4.3: without a message, a write's 10012 is a rate limit only for a serial that
    # is known to exist
    assert isinstance(make(10012, "write", "", known=True), errors.RateLimitedError)
    assert isinstance(make(10012, "write", "error_device_not_exist", known=True),
                      errors.DeviceNotFoundError)


def test_offline_part() -> None:
    inverter = make(10003, "write")
    datalogger = make(10005, "read_param")
    assert isinstance(inverter, errors.DeviceOfflineError)
    assert isinstance(datalogger, errors.DeviceOfflineError)
    assert (inverter.part, datalogger.part) == ("inverter", "datalogger")


def test_overlap_and_true_host_messages() -> None:
    assert "overlap" in str(make(10008, "write", "error_time_overlap"))
    assert "useTrueHostToSet" in str(make(10002, "write", "error_useTrueHostToSet"))


def test_error_str_is_one_line() -> None:
    error = errors.GrowattError("two\nlines", operation="min_settings", serial="SN",
                                error_code=10001, error_msg="a\r\nb")
    assert str(error) == "min_settings SN: two lines (error_code 10001: a b)"
    assert "\n" not in str(make(10011, "read"))
    assert str(errors.GrowattError("plain")) == "plain"


def test_aliases_and_transport_kinds() -> None:
    assert errors.ServerSideError is errors.ServerError
    kinds = {cls.kind for cls in (errors.RequestTimeoutError, errors.ConnectionFailedError,
                                  errors.HttpStatusError, errors.BadResponseError)}
    assert kinds == {"timeout", "connection", "http_status", "bad_response"}


def test_retryable() -> None:
    def status(code: int) -> errors.HttpStatusError:
        return errors.HttpStatusError("x", status=code)

    assert _retryable(status(500)) and _retryable(status(503)) and _retryable(status(429))
    assert not _retryable(status(404)) and not _retryable(status(302))
    assert _retryable(errors.RequestTimeoutError("x"))
    assert _retryable(errors.BadResponseError("x"))
    assert _retryable(errors.RateLimitedError("x"))
    for cls in (errors.InvalidValueError, errors.PermissionDeniedError,
                errors.DeviceNotFoundError, errors.ServerError, errors.DeviceOfflineError):
        assert not _retryable(cls("x"))


# ---- servers --------------------------------------------------------------------------
@pytest.mark.parametrize(("host", "expected"), [
    ("127.0.0.1", True), ("127.8.9.10", True), ("::1", True), ("localhost", True),
    ("LOCALHOST", True), ("10.0.0.1", False), ("example.com", False), ("::2", False),
    ("localhost.example.com", False)])
def test_is_loopback(host: str, expected: bool) -> None:
    assert is_loopback(host) is expected


@pytest.mark.parametrize("server", [
    "http://example.com/v1/", "http://10.1.1.1/v1/", "http://[::2]:80/v1/",
    "http://localhost.evil.com/v1/", "https://user:pw@openapi.growatt.com/v1/",
    "https://openapi.growatt.com/v1/?x=1", "https://openapi.growatt.com/", "mars", "",
    "ftp://openapi.growatt.com/v1/", "openapi.growatt.com/v1/"])
def test_base_url_refuses(server: str) -> None:
    with pytest.raises(BadServerError):
        base_url(server)


def test_plain_http_message_names_the_reason() -> None:
    with pytest.raises(ValueError, match="unencrypted"):
        base_url("http://example.com/v1/")


def test_regions_and_urls() -> None:
    assert base_url("eu") == "https://openapi.growatt.com/v1/"
    assert base_url("cn") == "https://openapi-cn.growatt.com/v1/"
    assert base_url("au") == "https://openapi-au.growatt.com/v1/"
    assert base_url("test") == "https://test.growatt.com/v1/"
    assert base_url("era").startswith("https://")
    assert base_url("https://example.com/v1") == "https://example.com/v1/"
    assert base_url("http://127.0.0.1:8/v1/") == "http://127.0.0.1:8/v1/"
    assert host_url("https://openapi.growatt.com/v1/") == "https://openapi.growatt.com/"
    assert api_url_from_server_url("us") == "https://openapi-us.growatt.com/v1/"
    assert api_url_from_server_url("https://h.example/") == "https://h.example/v1/"
    assert api_url_from_server_url("https://h.example") == "https://h.example/v1/"
    assert api_url_from_server_url("https://h.example/v1/") == "https://h.example/v1/"
    with pytest.raises(BadServerError):
        api_url_from_server_url("http://h.example/")


# ---- limiter --------------------------------------------------------------------------
class Clock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_request_key() -> None:
    a = request_key("GET", "device/tlx/tlx_set_info", {"device_sn": "A", "x": None})
    assert a == request_key("get", "device/tlx/tlx_set_info", {"x": "", "device_sn": "A"})
    assert a != request_key("POST", "device/tlx/tlx_set_info", {"device_sn": "A"})
    assert a != request_key("GET", "device/tlx/tlx_set_info", {"device_sn": "B"})
    assert "A" not in a and len(a) == 32


def test_limiter_window_and_file(tmp_path: Path) -> None:
    clock = Clock()
    path = tmp_path / "ratelimit.json"
    limiter = Limiter(path, 300, clock=clock)
    assert limiter.reserve("k") == 0
    assert limiter.reserve("k") == 300
    clock.now += 100
    assert limiter.wait_time("k") == 200
    assert limiter.wait_time("other") == 0
    limiter.flush()
    saved = json.loads(path.read_text(encoding="utf-8"))
    assert saved["last"] == {"k": 1_000_000.0}
    again = Limiter(path, 300, clock=clock)  # the next run
    assert again.wait_time("k") == 200
    clock.now += 200
    assert again.reserve("k") == 0


def test_limiter_zero_interval_keeps_no_file(tmp_path: Path) -> None:
    limiter = Limiter(tmp_path / "ratelimit.json", 0)
    assert limiter.reserve("k") == 0
    assert limiter.reserve("k") == 0
    limiter.flush()
    assert not (tmp_path / "ratelimit.json").exists()


@pytest.mark.parametrize("content", [b"{not json", b"\xff\xfe", b"[]", b'{"last": 3}',
                                     b'{"last": {"k": "soon", "j": NaN}}', b""])
def test_limiter_tolerates_a_corrupt_file(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "ratelimit.json"
    path.write_bytes(content)
    clock = Clock()
    limiter = Limiter(path, 300, clock=clock)
    assert limiter.wait_time("k") == 0
    assert limiter.reserve("k") == 0
    limiter.flush()
    assert json.loads(path.read_text(encoding="utf-8"))["last"] == {"k": clock.now}


def test_limiter_future_time_waits_at_most_one_window(tmp_path: Path) -> None:
    path = tmp_path / "ratelimit.json"
    clock = Clock()
    path.write_text(json.dumps({"version": 1, "last": {"k": clock.now + 10_000}}))
    assert Limiter(path, 300, clock=clock).wait_time("k") == 300


def test_limiter_reserve_is_atomic() -> None:
    limiter = Limiter(None, 300)
    results: list[float] = []
    barrier = threading.Barrier(16)

    def go() -> None:
        barrier.wait()
        results.append(limiter.reserve("same"))

    threads = [threading.Thread(target=go) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results.count(0.0) == 1


def test_limiter_unwritable_state_dir_is_not_fatal(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    limiter = Limiter(blocker / "ratelimit.json", 300)  # parent is a file
    assert limiter.reserve("k") == 0
    limiter.flush()


# ---- backoff --------------------------------------------------------------------------
def test_full_jitter_backoff_bounds() -> None:
    transport = Transport("http://127.0.0.1:9/v1/", "SECRET-TOKEN", timeout=(1, 1), max_retries=3,
                          backoff_base=0.5, backoff_cap=3.0, retry_deadline=10,
                          limiter=Limiter(None, 0), wait_on_rate_limit=True,
                          show_countdown=False, on_wait=None, sleep=None, clock=None,
                          user_agent="test")
    for attempt, ceiling in [(0, 0.5), (1, 1.0), (2, 2.0), (3, 3.0), (10, 3.0)]:
        draws = [transport.backoff(attempt) for _ in range(200)]
        assert all(0 <= d <= ceiling for d in draws)
        assert max(draws) > ceiling / 2  # jitter spreads over the whole range
    assert "SECRET-TOKEN" not in repr(transport)
    transport.close()
