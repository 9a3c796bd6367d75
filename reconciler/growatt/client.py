"""`OpenApiV1`: the Growatt OpenAPI V1 methods, named as in the community `growattServer`.

Reads are GET with a query (telemetry and parameter reads are POST forms, as the API has
them); writes are POST forms with every `paramN` present (spec 1.3, 2.7, 2.8). Method
names, argument names, their order and defaults follow `growattServer.OpenApiV1` 2.x, so
code written for it runs unchanged; errors are typed (`reconciler.growatt.errors`).
"""

from __future__ import annotations

import os
import platform
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from reconciler import __version__
from reconciler.growatt import errors, parsing
from reconciler.growatt.limiter import Limiter
from reconciler.growatt.servers import SIM, api_url_from_server_url, base_url, host_url
from reconciler.growatt.transport import Transport, WaitHook

DEFAULT_READ_INTERVAL = 300.0  # spec 4.4: an identical read is refused for ~5 minutes
READ_INTERVAL_ENV = "GROWATT_READ_INTERVAL"
LIMITER_FILE = "ratelimit.json"
DEFAULT_STATE_DIR = Path(".growatt-reconcile")
MIN_PARAMS = 19  # tlxSet: param1..param19 (spec 2.7)
SPH_PARAMS = 18  # mixSet: param1..param18 (spec 2.8)
PARAM_COUNTS = {"tlxSet": MIN_PARAMS, "mixSet": SPH_PARAMS}
SERIAL_FIELDS = {"tlxSet": "tlx_sn", "mixSet": "mix_sn"}
MAX_HISTORY_DAYS = 7  # tlx_data / mix_data: at most 7 days per call


def _flag(value: Any) -> str:
    return "1" if value else "0"


def _params(values: Any, count: int, operation: str, serial: str) -> list[str]:
    """param1..paramN as the community client accepts them: one value (param1), a list
    (param1, param2, ...) or a {position: value} mapping."""
    params = [""] * count
    if values is None:
        return params
    if isinstance(values, str | int | float | bool):
        params[0] = parsing.param_text(values)
        return params
    items = (list(values.items()) if isinstance(values, Mapping)
             else list(enumerate(values, 1)))
    for position, value in items:
        try:
            index = int(position)
        except (TypeError, ValueError):
            index = 0
        if not 1 <= index <= count:
            raise errors.InvalidValueError(f"parameter position {position!r} is not 1 to "
                                           f"{count}", operation=operation, serial=serial)
        params[index - 1] = parsing.param_text(value)
    return params


def _day(value: date | str | None) -> date:
    if value is None:
        return datetime.now(UTC).date()  # "today", as the community client has it
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(value)


def _date_range(start: date | str | None, end: date | str | None, operation: str,
                serial: str | None, max_days: int | None) -> tuple[str, str]:
    """Both dates as YYYY-MM-DD; a missing one takes the other's value, both default to
    today (community client)."""
    try:
        first = _day(start if start is not None else end)
        last = _day(end if end is not None else start)
    except ValueError:
        raise errors.InvalidValueError("dates must be dates or YYYY-MM-DD",
                                       operation=operation, serial=serial) from None
    if max_days is not None and last - first > timedelta(days=max_days):
        raise errors.InvalidValueError(f"the date interval must not exceed {max_days} days",
                                       operation=operation, serial=serial)
    return first.isoformat(), last.isoformat()


class OpenApiV1:
    """A Growatt OpenAPI V1 client.

    `server`: eu, us, cn, au, test, era, an https:// URL of the API base (ending in
    /v1/), http:// only to loopback, or `sim` (the built-in simulator, started here and
    stopped by `close()`).

    `timeout` (connect, read) seconds. Failed requests (transport errors, HTTP 5xx, rate
    limiting) are retried at most `max_retries` times and within `retry_deadline` seconds,
    after a full-jitter backoff in [0, min(backoff_cap, backoff_base * 2^attempt)].

    `read_interval`: seconds between identical reads (None: $GROWATT_READ_INTERVAL, else
    the simulator's window for `sim`, else 300). Last-call times persist in
    `state_dir/ratelimit.json` (no file without `state_dir`). A read that would be refused
    waits (`on_wait(seconds, description)` is called first; a countdown shows on stderr
    when `show_countdown`, or when it is None and stderr is a terminal, for waits over 2 s)
    or, with `wait_on_rate_limit=False`, raises RateLimitedError at once. Writes are not
    limited unless `limit_writes` (identical writes then share the read interval).

    `sleep` and `clock` replace time.sleep / the clocks, for tests.
    """

    def __init__(self, token: str, server: str = "eu", *,
                 timeout: tuple[float, float] = (5.0, 30.0), max_retries: int = 3,
                 backoff_base: float = 1.0, backoff_cap: float = 30.0,
                 retry_deadline: float = 120.0, state_dir: Path | str | None = None,
                 read_interval: float | None = None, wait_on_rate_limit: bool = True,
                 show_countdown: bool | None = None, on_wait: WaitHook | None = None,
                 limit_writes: bool = False,
                 sleep: Callable[[float], None] | None = None,
                 clock: Callable[[], float] | None = None) -> None:
        if not isinstance(token, str) or not token.strip():
            raise errors.PermissionDeniedError("no API token given")
        if token != token.strip() or any(ch in token for ch in "\r\n\0"):
            # requests would refuse the header with the value in its message
            raise errors.PermissionDeniedError("the API token has spaces or line breaks "
                                               "in it; copy it again")
        state = Path(state_dir) if state_dir is not None else None
        self._sim: Any = None
        url = base_url(server) if server != SIM else ""  # refuse a bad server early
        if server == SIM:
            from reconciler.sim.embedded import start_embedded

            sim_dir = state or DEFAULT_STATE_DIR
            sim_dir.mkdir(parents=True, exist_ok=True)  # the simulator keeps its state there
            self._sim = start_embedded(sim_dir)
            url = self._sim.url
        self.server = server
        try:
            interval = self._pick_read_interval(read_interval)
        except BaseException:
            self._stop_sim()  # no simulator thread left behind by a failed constructor
            raise
        agent = (f"growatt-reconcile/{__version__} Python/{platform.python_version()} "
                 f"({platform.system()} {platform.release()}; {platform.machine()})")
        limiter = Limiter(state / LIMITER_FILE if state else None, interval,
                          **({"clock": clock} if clock else {}))
        self._transport = Transport(
            url, token, timeout=timeout, max_retries=max_retries, backoff_base=backoff_base,
            backoff_cap=backoff_cap, retry_deadline=retry_deadline, limiter=limiter,
            wait_on_rate_limit=wait_on_rate_limit, show_countdown=show_countdown,
            on_wait=on_wait, limit_writes=limit_writes, sleep=sleep, clock=clock,
            user_agent=agent)

    def _pick_read_interval(self, given: float | None) -> float:
        if given is not None:
            value = float(given)
        elif env := os.environ.get(READ_INTERVAL_ENV):
            try:
                value = float(env)
            except ValueError:
                raise errors.InvalidValueError(f"{READ_INTERVAL_ENV}={env!r} is not a number "
                                               "of seconds") from None
        elif self._sim is not None:
            value = float(self._sim.read_interval)
        else:
            value = DEFAULT_READ_INTERVAL
        if not value >= 0:  # also NaN
            raise errors.InvalidValueError(f"the read interval must be 0 or more seconds, "
                                           f"not {value}")
        return value

    # ---- housekeeping ---------------------------------------------------------------
    def __repr__(self) -> str:
        return f"{type(self).__name__}(server={self.server!r}, api_url={self.api_url!r})"

    def __enter__(self) -> OpenApiV1:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Save the limiter's state, close connections, stop the embedded simulator."""
        self._transport.close()
        self._stop_sim()

    def _stop_sim(self) -> None:
        if self._sim is not None:
            self._sim.stop()
            self._sim = None

    def interrupt(self) -> None:
        """Cancel rate-limit waits in progress (Ctrl-C)."""
        self._transport.cancelled.set()

    @property
    def stats(self) -> dict[str, Any]:
        """API calls so far: {"reads", "writes", "by_endpoint", "retries",
        "waited_seconds"}; a copy."""
        return self._transport.stats.as_dict()

    @property
    def read_interval(self) -> float:
        return self._transport.limiter.interval

    @read_interval.setter
    def read_interval(self, seconds: float) -> None:
        self._transport.limiter.interval = float(seconds)

    @property
    def wait_on_rate_limit(self) -> bool:
        return self._transport.wait_on_rate_limit

    @wait_on_rate_limit.setter
    def wait_on_rate_limit(self, value: bool) -> None:
        self._transport.wait_on_rate_limit = value

    @property
    def api_url(self) -> str:
        """The API base every call goes to, e.g. https://openapi.growatt.com/v1/."""
        return self._transport.base_url

    @api_url.setter
    def api_url(self, url: str) -> None:
        self._transport.base_url = base_url(url)

    @property
    def server_url(self) -> str:
        """The host part (https://openapi.growatt.com/). Setting it (a host URL, the API
        base URL or a region name) moves every V1 call, unlike in the community client."""
        return host_url(self.api_url)

    @server_url.setter
    def server_url(self, url: str) -> None:
        self._transport.base_url = api_url_from_server_url(url)

    def _get(self, endpoint: str, params: Mapping[str, Any], *, kind: errors.Kind,
             operation: str, serial: str | None = None) -> Any:
        return self._transport.call("GET", endpoint, params=params, kind=kind,
                                    operation=operation, serial=serial).get("data")

    def _post(self, endpoint: str, data: Mapping[str, Any], *, kind: errors.Kind,
              operation: str, serial: str | None = None) -> Any:
        return self._transport.call("POST", endpoint, data=data, kind=kind,
                                    operation=operation, serial=serial).get("data")

    # ---- plants and devices ---------------------------------------------------------
    def plant_list(self) -> Any:
        """The account's plants: {"count", "plants": [...]}."""
        # The community client sends these as a form body on a GET; a query is what the
        # API documents for GET and what any HTTP stack passes on.
        return self._get("plant/list", {"page": "", "perpage": "", "search_type": "",
                                        "search_keyword": ""}, kind="list",
                         operation="plant_list")

    plant_list_v1 = plant_list  # the name the community client's usage text gives

    def plant_details(self, plant_id: int | str) -> Any:
        return self._get("plant/details", {"plant_id": plant_id}, kind="list",
                         operation="plant_details")

    def plant_energy_overview(self, plant_id: int | str) -> Any:
        return self._get("plant/data", {"plant_id": plant_id}, kind="list",
                         operation="plant_energy_overview")

    def plant_energy_history(self, plant_id: int | str, start_date: date | str | None = None,
                             end_date: date | str | None = None, time_unit: str = "day",
                             page: int | None = None, perpage: int | None = None) -> Any:
        start, end = _date_range(start_date, end_date, "plant_energy_history", None, None)
        return self._get("plant/energy", {
            "plant_id": plant_id, "start_date": start, "end_date": end,
            "time_unit": time_unit, "page": page, "perpage": perpage},
            kind="list", operation="plant_energy_history")

    def device_list(self, plant_id: int | str) -> Any:
        """The plant's devices: {"count", "devices": [{"device_sn", "type", ...}]}."""
        return self._get("device/list", {"plant_id": plant_id, "page": "", "perpage": ""},
                         kind="list", operation="device_list")

    # ---- MIN (tlx, device type 7) ---------------------------------------------------
    def min_detail(self, device_sn: str) -> Any:
        return self._get("device/tlx/tlx_data_info", {"device_sn": device_sn}, kind="read",
                         operation="min_detail", serial=device_sn)

    def min_energy(self, device_sn: str) -> Any:
        return self._post("device/tlx/tlx_last_data", {"tlx_sn": device_sn}, kind="telemetry",
                          operation="min_energy", serial=device_sn)

    def min_energy_history(self, device_sn: str, start_date: date | str | None = None,
                           end_date: date | str | None = None, timezone: str | None = None,
                           page: int | None = None, limit: int | None = None) -> Any:
        start, end = _date_range(start_date, end_date, "min_energy_history", device_sn,
                                 MAX_HISTORY_DAYS)
        return self._post("device/tlx/tlx_data", {
            "tlx_sn": device_sn, "start_date": start, "end_date": end,
            "timezone_id": timezone, "page": page, "perpage": limit},
            kind="history", operation="min_energy_history", serial=device_sn)

    def min_settings(self, device_sn: str) -> Any:
        """The MIN settings read (`tlx_set_info`): the one read a reconciler needs."""
        return self._get("device/tlx/tlx_set_info", {"device_sn": device_sn}, kind="read",
                         operation="min_settings", serial=device_sn)

    def min_read_parameter(self, device_sn: str, parameter_id: str | None = None,
                           start_address: int | None = None,
                           end_address: int | None = None) -> Any:
        """One live value through the datalogger (`readMinParam`): a named parameter, or
        registers `start_address`..`end_address` (not both)."""
        return self._read_parameter("readMinParam", "min_read_parameter", device_sn,
                                    parameter_id, start_address, end_address)

    def min_write_parameter(self, device_sn: str, parameter_id: str,
                            parameter_values: Any = None) -> Any:
        """One `tlxSet` write; values as one value, a list, or {position: value}."""
        params = _params(parameter_values, MIN_PARAMS, "min_write_parameter", device_sn)
        return self._write("tlxSet", device_sn, parameter_id, params, "min_write_parameter")

    def min_write_time_segment(self, device_sn: str, segment_id: int, batt_mode: int,
                               start_time: time | str, end_time: time | str,
                               enabled: bool = True) -> Any:
        """TOU slot `segment_id` (1-9): mode 0 load / 1 battery / 2 grid first, start and
        end (`datetime.time` or "HH:MM"), enabled."""
        operation = "min_write_time_segment"
        if not isinstance(segment_id, int) or not 1 <= segment_id <= 9:
            raise errors.InvalidValueError("segment_id must be 1 to 9", operation=operation,
                                           serial=device_sn)
        if not isinstance(batt_mode, int) or batt_mode not in parsing.MODE_NAMES:
            raise errors.InvalidValueError("batt_mode must be 0, 1 or 2", operation=operation,
                                           serial=device_sn)
        params = [str(batt_mode), *self._hm(start_time, operation, device_sn),
                  *self._hm(end_time, operation, device_sn), _flag(enabled)]
        return self._write("tlxSet", device_sn, f"time_segment{segment_id}", params,
                           operation)

    def min_read_time_segments(self, device_sn: str | None = None,
                               settings_data: Mapping[str, Any] | None = None
                               ) -> list[dict[str, Any]]:
        """The nine segments: segment_id, batt_mode (None when unset), mode_name,
        start_time/end_time "HH:MM", enabled. Pass an earlier `min_settings` answer (the
        data or the whole envelope) as `settings_data` to save a read."""
        if settings_data is None:
            if device_sn is None:
                raise errors.InvalidValueError("give device_sn or settings_data",
                                               operation="min_read_time_segments")
            settings_data = self.min_settings(device_sn)
        return parsing.time_segments(parsing.unwrap(settings_data))

    # ---- SPH (mix, device type 5) ---------------------------------------------------
    def sph_detail(self, device_sn: str) -> Any:
        """`mix_data_info`: the SPH's details, and its settings (spec 2.6)."""
        return self._get("device/mix/mix_data_info", {"device_sn": device_sn}, kind="read",
                         operation="sph_detail", serial=device_sn)

    def sph_settings(self, device_sn: str) -> Any:
        """The SPH settings read: `mix_data_info`, as there is no other (spec 2.6)."""
        return self._get("device/mix/mix_data_info", {"device_sn": device_sn}, kind="read",
                         operation="sph_settings", serial=device_sn)

    def sph_energy(self, device_sn: str) -> Any:
        return self._post("device/mix/mix_last_data", {"mix_sn": device_sn}, kind="telemetry",
                          operation="sph_energy", serial=device_sn)

    def sph_energy_history(self, device_sn: str, start_date: date | str | None = None,
                           end_date: date | str | None = None, timezone: str | None = None,
                           page: int | None = None, limit: int | None = None) -> Any:
        start, end = _date_range(start_date, end_date, "sph_energy_history", device_sn,
                                 MAX_HISTORY_DAYS)
        return self._post("device/mix/mix_data", {
            "mix_sn": device_sn, "start_date": start, "end_date": end,
            "timezone_id": timezone, "page": page, "perpage": limit},
            kind="history", operation="sph_energy_history", serial=device_sn)

    def sph_read_parameter(self, device_sn: str, parameter_id: str | None = None,
                           start_address: int | None = None,
                           end_address: int | None = None) -> Any:
        """One live value through the datalogger (`readMixParam`)."""
        return self._read_parameter("readMixParam", "sph_read_parameter", device_sn,
                                    parameter_id, start_address, end_address)

    def sph_write_parameter(self, device_sn: str, parameter_id: str,
                            parameter_values: Any = None) -> Any:
        """One `mixSet` write; values as one value, a list, or {position: value}."""
        params = _params(parameter_values, SPH_PARAMS, "sph_write_parameter", device_sn)
        return self._write("mixSet", device_sn, parameter_id, params, "sph_write_parameter")

    def sph_write_ac_charge_times(self, device_sn: str, charge_power: int,
                                  charge_stop_soc: int, mains_enabled: bool,
                                  periods: Sequence[Mapping[str, Any]]) -> Any:
        """The whole charge schedule in one write (spec 3.4): power %, stop SOC %, mains
        charging, and exactly 3 periods {"start_time", "end_time", "enabled"}."""
        operation = "sph_write_ac_charge_times"
        self._check_schedule(operation, device_sn, charge_power, charge_stop_soc, periods)
        params = [str(int(charge_power)), str(int(charge_stop_soc)), _flag(mains_enabled),
                  *self._period_params(periods, operation, device_sn)]
        return self._write("mixSet", device_sn, "mix_ac_charge_time_period", params,
                           operation)

    def sph_write_ac_discharge_times(self, device_sn: str, discharge_power: int,
                                     discharge_stop_soc: int,
                                     periods: Sequence[Mapping[str, Any]]) -> Any:
        """The whole discharge schedule in one write: power %, stop SOC %, 3 periods.
        param18 is sent blank (the community client leaves it out)."""
        operation = "sph_write_ac_discharge_times"
        self._check_schedule(operation, device_sn, discharge_power, discharge_stop_soc,
                             periods)
        params = [str(int(discharge_power)), str(int(discharge_stop_soc)),
                  *self._period_params(periods, operation, device_sn)]
        return self._write("mixSet", device_sn, "mix_ac_discharge_time_period", params,
                           operation)

    def sph_read_ac_charge_times(self, device_sn: str | None = None,
                                 settings_data: Mapping[str, Any] | None = None
                                 ) -> dict[str, Any]:
        """charge_power, charge_stop_soc, mains_enabled and the 3 periods ("HH:MM").
        Pass an earlier `sph_detail`/`sph_settings` answer to save a read."""
        settings = self._sph_settings_from(device_sn, settings_data,
                                           "sph_read_ac_charge_times")
        return parsing.ac_charge_times(settings)

    def sph_read_ac_discharge_times(self, device_sn: str | None = None,
                                    settings_data: Mapping[str, Any] | None = None
                                    ) -> dict[str, Any]:
        """discharge_power, discharge_stop_soc and the 3 periods ("HH:MM")."""
        settings = self._sph_settings_from(device_sn, settings_data,
                                           "sph_read_ac_discharge_times")
        return parsing.ac_discharge_times(settings)

    def sph_write_ac_charge_time(self, device_sn: str, period_id: int,
                                 start_time: time | str, end_time: time | str,
                                 enabled: bool = True, charge_power: int | None = None,
                                 charge_stop_soc: int | None = None,
                                 mains_enabled: bool | None = None,
                                 settings_data: Mapping[str, Any] | None = None) -> Any:
        """One charge period (1-3), written as read-merge-write of the whole schedule
        (spec 3.4), so the other two periods and the shared power, stop SOC and mains flag
        stay as read (unless given here). `settings_data` saves the read."""
        operation = "sph_write_ac_charge_time"
        self._check_period_id(period_id, operation, device_sn)
        current = self._merge_basis(device_sn, settings_data, operation, charge=True,
                                    period_id=period_id)
        periods = self._merge_period(current["periods"], period_id, start_time, end_time,
                                     enabled)
        power = self._given_or_read(charge_power, current["charge_power"], "charge_power",
                                    operation, device_sn)
        soc = self._given_or_read(charge_stop_soc, current["charge_stop_soc"],
                                  "charge_stop_soc", operation, device_sn)
        mains = current["mains_enabled"] if mains_enabled is None else mains_enabled
        return self.sph_write_ac_charge_times(device_sn, power, soc, mains, periods)

    def sph_write_ac_discharge_time(self, device_sn: str, period_id: int,
                                    start_time: time | str, end_time: time | str,
                                    enabled: bool = True, discharge_power: int | None = None,
                                    discharge_stop_soc: int | None = None,
                                    settings_data: Mapping[str, Any] | None = None) -> Any:
        """One discharge period (1-3), as read-merge-write of the whole schedule."""
        operation = "sph_write_ac_discharge_time"
        self._check_period_id(period_id, operation, device_sn)
        current = self._merge_basis(device_sn, settings_data, operation, charge=False,
                                    period_id=period_id)
        periods = self._merge_period(current["periods"], period_id, start_time, end_time,
                                     enabled)
        power = self._given_or_read(discharge_power, current["discharge_power"],
                                    "discharge_power", operation, device_sn)
        soc = self._given_or_read(discharge_stop_soc, current["discharge_stop_soc"],
                                  "discharge_stop_soc", operation, device_sn)
        return self.sph_write_ac_discharge_times(device_sn, power, soc, periods)

    # ---- the applier's entry point ---------------------------------------------------
    def write(self, endpoint: str, serial: str, type: str, params: Sequence[Any]) -> None:
        """One write exactly as on the wire: `endpoint` "tlxSet" or "mixSet", the write
        `type`, and its params in order; padded with "" to 19 (tlxSet) or 18 (mixSet)."""
        self._write(endpoint, serial, type, params, "write")

    def _write(self, endpoint: str, serial: str, type: str, params: Sequence[Any],
               operation: str) -> Any:
        count = PARAM_COUNTS.get(endpoint)
        if count is None:
            raise errors.InvalidValueError(f"not a write endpoint: {endpoint!r} (tlxSet or "
                                           "mixSet)", operation=operation, serial=serial)
        if isinstance(params, str | bytes) or len(params) > count:
            raise errors.InvalidValueError(f"{endpoint} takes a list of at most {count} "
                                           "params", operation=operation, serial=serial)
        form = {SERIAL_FIELDS[endpoint]: serial, "type": type}
        padded = [*map(parsing.param_text, params), *[""] * (count - len(params))]
        form.update({f"param{i}": value for i, value in enumerate(padded, 1)})
        return self._post(endpoint, form, kind="write", operation=operation, serial=serial)

    # ---- helpers --------------------------------------------------------------------
    def _read_parameter(self, endpoint: str, operation: str, device_sn: str,
                        parameter_id: str | None, start_address: int | None,
                        end_address: int | None) -> Any:
        if parameter_id is not None and start_address is None:
            form = {"device_sn": device_sn, "paramId": parameter_id, "startAddr": "0",
                    "endAddr": "0"}
        elif parameter_id is None and start_address is not None:
            # endAddr defaults to startAddr (the community client forgets it for SPH)
            end = start_address if end_address is None else end_address
            form = {"device_sn": device_sn, "paramId": "set_any_reg",
                    "startAddr": str(int(start_address)), "endAddr": str(int(end))}
        else:
            both = parameter_id is not None
            raise errors.InvalidValueError(
                "give parameter_id or start_address/end_address" + (", not both" if both
                                                                   else ""),
                operation=operation, serial=device_sn)
        return self._post(endpoint, form, kind="read_param", operation=operation,
                          serial=device_sn)

    def _sph_settings_from(self, device_sn: str | None,
                           settings_data: Mapping[str, Any] | None,
                           operation: str) -> Mapping[str, Any]:
        if settings_data is None:
            if device_sn is None:
                raise errors.InvalidValueError("give device_sn or settings_data",
                                               operation=operation)
            settings_data = self.sph_detail(device_sn)
        return parsing.unwrap(settings_data)

    def _merge_basis(self, device_sn: str, settings_data: Mapping[str, Any] | None,
                     operation: str, *, charge: bool, period_id: int) -> dict[str, Any]:
        """The schedule as read, strictly: a value that cannot be parsed stops the write
        rather than being sent back as a default (the period being replaced may hold
        anything)."""
        prefix = "forcedCharge" if charge else "forcedDischarge"
        replaced = {f"{prefix}{name}{period_id}" for name in ("TimeStart", "TimeStop",
                                                               "StopSwitch")}
        settings = {key: value for key, value in
                    self._sph_settings_from(device_sn, settings_data, operation).items()
                    if key not in replaced}
        try:
            return (parsing.ac_charge_times(settings, strict=True) if charge
                    else parsing.ac_discharge_times(settings, strict=True))
        except ValueError as exc:
            raise errors.InvalidValueError(f"the settings read has a value that cannot be "
                                           f"parsed ({exc}); not writing the schedule back",
                                           operation=operation, serial=device_sn) from None

    @staticmethod
    def _given_or_read(given: int | None, read: int | None, name: str, operation: str,
                       serial: str) -> int:
        if given is not None:
            return given
        if read is None:
            raise errors.InvalidValueError(f"the settings read has no {name}; pass {name}",
                                           operation=operation, serial=serial)
        return read

    @staticmethod
    def _hm(value: time | str, operation: str, serial: str) -> tuple[str, str]:
        try:
            return parsing.hour_minute(value)
        except ValueError as exc:
            raise errors.InvalidValueError(str(exc), operation=operation,
                                           serial=serial) from None

    @staticmethod
    def _check_schedule(operation: str, serial: str, power: Any, soc: Any,
                        periods: Sequence[Mapping[str, Any]]) -> None:
        for name, value in (("power", power), ("stop SOC", soc)):
            if isinstance(value, bool) or not isinstance(value, int | float) \
                    or not 0 <= value <= 100 or int(value) != value:
                raise errors.InvalidValueError(f"{name} must be a whole number from 0 to 100",
                                               operation=operation, serial=serial)
        if isinstance(periods, str | bytes) or len(periods) != 3:
            raise errors.InvalidValueError("periods must hold exactly 3 periods",
                                           operation=operation, serial=serial)

    @classmethod
    def _period_params(cls, periods: Sequence[Mapping[str, Any]], operation: str,
                       serial: str) -> list[str]:
        params: list[str] = []
        for period in periods:
            try:
                start, end = period["start_time"], period["end_time"]
            except (KeyError, TypeError):
                raise errors.InvalidValueError("each period needs start_time and end_time",
                                               operation=operation, serial=serial) from None
            params += [*cls._hm(start, operation, serial), *cls._hm(end, operation, serial),
                       _flag(period.get("enabled"))]
        return params

    @staticmethod
    def _check_period_id(period_id: int, operation: str, serial: str) -> None:
        if not isinstance(period_id, int) or not 1 <= period_id <= 3:
            raise errors.InvalidValueError("period_id must be 1, 2 or 3",
                                           operation=operation, serial=serial)

    @staticmethod
    def _merge_period(periods: list[dict[str, Any]], period_id: int, start: time | str,
                      end: time | str, enabled: bool) -> list[dict[str, Any]]:
        merged = [dict(period) for period in periods]
        merged[period_id - 1].update(start_time=start, end_time=end, enabled=enabled)
        return merged


GrowattApiV1 = OpenApiV1  # the class name the community client's usage text gives
