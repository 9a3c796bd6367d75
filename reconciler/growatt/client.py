"""`OpenApiV1`: the Growatt OpenAPI V1 methods, named as in the community `growattServer`.

Reads are GET with a query (telemetry and parameter reads are POST forms, as the API has
them); writes are POST forms with every `paramN` present (spec 1.3, 2.7, 2.8).
"""

from __future__ import annotations

import os
import platform
from collections.abc import Mapping, Sequence
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from reconciler import __version__
from reconciler.growatt import errors
from reconciler.growatt.limiter import Limiter
from reconciler.growatt.servers import SIM, base_url
from reconciler.growatt.transport import Transport, WaitHook
from reconciler.timeofday import is_unset, parse_api_time

DEFAULT_READ_INTERVAL = 300.0
MIN_PARAMS = 19
SPH_PARAMS = 18
MODE_NAMES = {0: "load_first", 1: "battery_first", 2: "grid_first"}


def _hm(value: time | str) -> tuple[str, str]:
    """Hour and minute, unpadded, from a time or "HH:MM"."""
    if isinstance(value, str):
        try:
            canonical = parse_api_time(value)
        except ValueError as exc:
            raise errors.InvalidValueError(str(exc)) from None
        if canonical is None:
            raise errors.InvalidValueError(f"not a time: {value!r}")
        hour, minute = canonical.split(":")
        return str(int(hour)), str(int(minute))
    return str(value.hour), str(value.minute)


def _params(values: Any, count: int) -> list[str]:
    """param1..paramN as strings from a value, a list or a {position: value} mapping."""
    params = [""] * count
    if values is None:
        return params
    if isinstance(values, bool):
        params[0] = "1" if values else "0"  # the API's flags; str(True) would be "True"
    elif isinstance(values, str | int | float):
        params[0] = str(values)
    elif isinstance(values, Mapping):
        for position, value in values.items():
            if 1 <= int(position) <= count:
                params[int(position) - 1] = str(value)
    else:
        for index, value in enumerate(list(values)[:count]):
            params[index] = str(value)
    return params


def _int(value: Any, default: int) -> int:
    if is_unset(value):
        return default
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return default


def _flag(value: Any) -> bool:
    return _int(value, 0) == 1


def _date(value: date | str | None) -> str:
    if value is None:
        return datetime.now().date().isoformat()
    return value if isinstance(value, str) else value.isoformat()


def read_periods(settings: Mapping[str, Any], prefix: str) -> list[dict[str, Any]]:
    """The three SPH periods under `prefix` ("Charge" or "Discharge"), HH:MM normalized."""
    periods = []
    for index in (1, 2, 3):
        times = []
        for key in (f"forced{prefix}TimeStart{index}", f"forced{prefix}TimeStop{index}"):
            try:
                times.append(parse_api_time(settings.get(key)) or "00:00")
            except ValueError:
                times.append("00:00")
        periods.append({"period_id": index, "start_time": times[0], "end_time": times[1],
                        "enabled": _flag(settings.get(f"forced{prefix}StopSwitch{index}"))})
    return periods


def stop_soc(settings: Mapping[str, Any], base: str, default: int) -> int:
    """Unsuffixed key first, else the `...2` key (spec 2.6 and 6.2)."""
    for key in (base, f"{base}2"):
        if key in settings and not is_unset(settings[key]):
            return _int(settings[key], default)
    return default


class OpenApiV1:
    """A Growatt OpenAPI V1 client. `server`: eu, us, cn, au, a base URL, or sim."""

    def __init__(self, token: str, server: str = "eu", *,
                 timeout: tuple[float, float] = (5.0, 30.0), max_retries: int = 3,
                 backoff_base: float = 1.0, backoff_cap: float = 30.0,
                 retry_deadline: float = 120.0, state_dir: Path | None = None,
                 read_interval: float | None = None, wait_on_rate_limit: bool = True,
                 show_countdown: bool = False, on_wait: WaitHook | None = None,
                 sleep: Any = None) -> None:
        if not token:
            raise errors.PermissionDeniedError("no API token given")
        self._sim = None
        if server == SIM:
            from reconciler.sim.embedded import start_embedded

            self._sim = start_embedded(state_dir or Path(".growatt-reconcile"))
            url = self._sim.url
        else:
            url = base_url(server)
        self.server = server
        self.read_interval = self._read_interval(read_interval)
        limiter_file = state_dir / "ratelimit.json" if state_dir else None
        agent = (f"growatt-reconcile/{__version__} Python/{platform.python_version()} "
                 f"({platform.system()} {platform.release()}; {platform.machine()})")
        self._transport = Transport(
            url, token, timeout=timeout, max_retries=max_retries, backoff_base=backoff_base,
            backoff_cap=backoff_cap, retry_deadline=retry_deadline,
            limiter=Limiter(limiter_file, self.read_interval),
            wait_on_rate_limit=wait_on_rate_limit, show_countdown=show_countdown,
            on_wait=on_wait, sleep=sleep, user_agent=agent)

    def _read_interval(self, given: float | None) -> float:
        if given is not None:
            return float(given)
        env = os.environ.get("GROWATT_READ_INTERVAL")
        if env:
            try:
                return float(env)
            except ValueError:
                raise errors.GrowattError(f"GROWATT_READ_INTERVAL={env!r} is not a number of "
                                          "seconds") from None
        if self._sim is not None:
            return float(self._sim.read_interval)
        return DEFAULT_READ_INTERVAL

    # ---- housekeeping ---------------------------------------------------------------
    def __repr__(self) -> str:
        return f"OpenApiV1(server={self.server!r}, api_url={self.api_url!r})"

    def __enter__(self) -> OpenApiV1:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._transport.close()
        if self._sim is not None:
            self._sim.stop()
            self._sim = None

    def interrupt(self) -> None:
        """Cancel rate-limit waits in progress (Ctrl-C)."""
        self._transport.cancelled.set()

    @property
    def stats(self) -> dict[str, Any]:
        return self._transport.stats.as_dict()

    @property
    def wait_on_rate_limit(self) -> bool:
        return self._transport.wait_on_rate_limit

    @wait_on_rate_limit.setter
    def wait_on_rate_limit(self, value: bool) -> None:
        self._transport.wait_on_rate_limit = value

    @property
    def api_url(self) -> str:
        return self._transport.base_url

    @api_url.setter
    def api_url(self, url: str) -> None:
        self._transport.base_url = base_url(url)

    @property
    def server_url(self) -> str:
        """The host part; setting it moves every V1 call (unlike the community client)."""
        return self.api_url.removesuffix("v1/").removesuffix("v4/")

    @server_url.setter
    def server_url(self, url: str) -> None:
        url = url if url.endswith("/") else url + "/"
        self.api_url = url if url.endswith(("/v1/", "/v4/")) else url + "v1/"

    def _data(self, envelope: dict[str, Any]) -> Any:
        return envelope.get("data")

    def _get(self, endpoint: str, params: Mapping[str, Any], *, kind: errors.Kind,
             operation: str, serial: str | None = None) -> Any:
        return self._data(self._transport.call("GET", endpoint, params=params, kind=kind,
                                               operation=operation, serial=serial))

    def _post(self, endpoint: str, data: Mapping[str, Any], *, kind: errors.Kind,
              operation: str, serial: str | None = None) -> Any:
        return self._data(self._transport.call("POST", endpoint, data=data, kind=kind,
                                               operation=operation, serial=serial))

    # ---- plants and devices ---------------------------------------------------------
    def plant_list(self) -> Any:
        # The community client sends these as a form body on a GET; a query is equivalent.
        return self._get("plant/list", {"page": "", "perpage": "", "search_type": "",
                                        "search_keyword": ""}, kind="list",
                         operation="plant_list")

    plant_list_v1 = plant_list

    def plant_details(self, plant_id: int | str) -> Any:
        return self._get("plant/details", {"plant_id": plant_id}, kind="list",
                         operation="plant_details")

    def plant_energy_overview(self, plant_id: int | str) -> Any:
        return self._get("plant/data", {"plant_id": plant_id}, kind="list",
                         operation="plant_energy_overview")

    def plant_energy_history(self, plant_id: int | str, start_date: date | None = None,
                             end_date: date | None = None, time_unit: str = "day",
                             page: int | None = None, perpage: int | None = None) -> Any:
        start = start_date or end_date
        end = end_date or start_date
        return self._get("plant/energy", {
            "plant_id": plant_id, "start_date": _date(start), "end_date": _date(end),
            "time_unit": time_unit, "page": page, "perpage": perpage},
            kind="list", operation="plant_energy_history")

    def device_list(self, plant_id: int | str) -> Any:
        return self._get("device/list", {"plant_id": plant_id, "page": "", "perpage": ""},
                         kind="list", operation="device_list")

    # ---- MIN ------------------------------------------------------------------------
    def min_detail(self, device_sn: str) -> Any:
        return self._get("device/tlx/tlx_data_info", {"device_sn": device_sn}, kind="read",
                         operation="min_detail", serial=device_sn)

    def min_energy(self, device_sn: str) -> Any:
        return self._post("device/tlx/tlx_last_data", {"tlx_sn": device_sn}, kind="telemetry",
                          operation="min_energy", serial=device_sn)

    def min_energy_history(self, device_sn: str, start_date: date | None = None,
                           end_date: date | None = None, timezone: str | None = None,
                           page: int | None = None, limit: int | None = None) -> Any:
        start = start_date or end_date
        end = end_date or start_date
        return self._post("device/tlx/tlx_data", {
            "tlx_sn": device_sn, "start_date": _date(start), "end_date": _date(end),
            "timezone_id": timezone, "page": page, "perpage": limit},
            kind="telemetry", operation="min_energy_history", serial=device_sn)

    def min_settings(self, device_sn: str) -> Any:
        """The MIN settings read (`tlx_set_info`): the one read a reconciler needs."""
        return self._get("device/tlx/tlx_set_info", {"device_sn": device_sn}, kind="read",
                         operation="min_settings", serial=device_sn)

    def min_read_parameter(self, device_sn: str, parameter_id: str | None = None,
                           start_address: int | None = None,
                           end_address: int | None = None) -> Any:
        return self._read_parameter("readMinParam", "min_read_parameter", device_sn,
                                    parameter_id, start_address, end_address)

    def min_write_parameter(self, device_sn: str, parameter_id: str,
                            parameter_values: Any = None) -> Any:
        return self.write("tlxSet", device_sn, parameter_id,
                          _params(parameter_values, MIN_PARAMS), operation="min_write_parameter")

    def min_write_time_segment(self, device_sn: str, segment_id: int, batt_mode: int,
                               start_time: time | str, end_time: time | str,
                               enabled: bool = True) -> Any:
        if not 1 <= int(segment_id) <= 9:
            raise errors.InvalidValueError("segment_id must be 1 to 9",
                                           operation="min_write_time_segment", serial=device_sn)
        if int(batt_mode) not in MODE_NAMES:
            raise errors.InvalidValueError("batt_mode must be 0, 1 or 2",
                                           operation="min_write_time_segment", serial=device_sn)
        params = [str(int(batt_mode)), *_hm(start_time), *_hm(end_time), "1" if enabled else "0"]
        return self.write("tlxSet", device_sn, f"time_segment{int(segment_id)}", params,
                          operation="min_write_time_segment")

    def min_read_time_segments(self, device_sn: str,
                               settings_data: Mapping[str, Any] | None = None
                               ) -> list[dict[str, Any]]:
        """The nine segments; pass an earlier `min_settings` answer to save a read."""
        settings = settings_data if settings_data is not None else self.min_settings(device_sn)
        if isinstance(settings, Mapping) and isinstance(settings.get("data"), Mapping):
            settings = settings["data"]  # the whole envelope works too
        settings = settings if isinstance(settings, Mapping) else {}
        segments = []
        for n in range(1, 10):
            mode = _int(settings.get(f"time{n}Mode"), 0)
            times = []
            for key in (f"forcedTimeStart{n}", f"forcedTimeStop{n}"):
                try:
                    times.append(parse_api_time(settings.get(key)) or "00:00")
                except ValueError:
                    times.append("00:00")
            segments.append({"segment_id": n, "batt_mode": mode,
                             "mode_name": MODE_NAMES.get(mode, "unknown"),
                             "start_time": times[0], "end_time": times[1],
                             "enabled": _flag(settings.get(f"forcedStopSwitch{n}"))})
        return segments

    # ---- SPH ------------------------------------------------------------------------
    def sph_detail(self, device_sn: str) -> Any:
        return self._get("device/mix/mix_data_info", {"device_sn": device_sn}, kind="read",
                         operation="sph_detail", serial=device_sn)

    def sph_settings(self, device_sn: str) -> Any:
        """The SPH settings read: `mix_data_info`, there is no other (spec 2.6)."""
        return self._get("device/mix/mix_data_info", {"device_sn": device_sn}, kind="read",
                         operation="sph_settings", serial=device_sn)

    def sph_energy(self, device_sn: str) -> Any:
        return self._post("device/mix/mix_last_data", {"mix_sn": device_sn}, kind="telemetry",
                          operation="sph_energy", serial=device_sn)

    def sph_energy_history(self, device_sn: str, start_date: date | None = None,
                           end_date: date | None = None, timezone: str | None = None,
                           page: int | None = None, limit: int | None = None) -> Any:
        start = start_date or end_date
        end = end_date or start_date
        return self._post("device/mix/mix_data", {
            "mix_sn": device_sn, "start_date": _date(start), "end_date": _date(end),
            "timezone_id": timezone, "page": page, "perpage": limit},
            kind="telemetry", operation="sph_energy_history", serial=device_sn)

    def sph_read_parameter(self, device_sn: str, parameter_id: str | None = None,
                           start_address: int | None = None,
                           end_address: int | None = None) -> Any:
        return self._read_parameter("readMixParam", "sph_read_parameter", device_sn,
                                    parameter_id, start_address, end_address)

    def sph_write_parameter(self, device_sn: str, parameter_id: str,
                            parameter_values: Any = None) -> Any:
        return self.write("mixSet", device_sn, parameter_id,
                          _params(parameter_values, SPH_PARAMS), operation="sph_write_parameter")

    def sph_write_ac_charge_times(self, device_sn: str, charge_power: int,
                                  charge_stop_soc: int, mains_enabled: bool,
                                  periods: Sequence[Mapping[str, Any]]) -> Any:
        """The whole charge schedule in one write: power, stop SOC, mains and 3 periods."""
        self._check_schedule("sph_write_ac_charge_times", device_sn, charge_power,
                             charge_stop_soc, periods)
        params = [str(int(charge_power)), str(int(charge_stop_soc)),
                  "1" if mains_enabled else "0", *self._period_params(periods)]
        return self.write("mixSet", device_sn, "mix_ac_charge_time_period", params,
                          operation="sph_write_ac_charge_times")

    def sph_write_ac_discharge_times(self, device_sn: str, discharge_power: int,
                                     discharge_stop_soc: int,
                                     periods: Sequence[Mapping[str, Any]]) -> Any:
        """The whole discharge schedule in one write: power, stop SOC and 3 periods."""
        self._check_schedule("sph_write_ac_discharge_times", device_sn, discharge_power,
                             discharge_stop_soc, periods)
        params = [str(int(discharge_power)), str(int(discharge_stop_soc)),
                  *self._period_params(periods)]
        return self.write("mixSet", device_sn, "mix_ac_discharge_time_period", params,
                          operation="sph_write_ac_discharge_times")

    def sph_read_ac_charge_times(self, device_sn: str | None = None,
                                 settings_data: Mapping[str, Any] | None = None
                                 ) -> dict[str, Any]:
        settings = self._sph_settings_from(device_sn, settings_data)
        return {"charge_power": _int(settings.get("chargePowerCommand"), 0),
                "charge_stop_soc": stop_soc(settings, "wchargeSOCLowLimit", 100),
                "mains_enabled": _flag(settings.get("acChargeEnable")),
                "periods": read_periods(settings, "Charge")}

    def sph_read_ac_discharge_times(self, device_sn: str | None = None,
                                    settings_data: Mapping[str, Any] | None = None
                                    ) -> dict[str, Any]:
        settings = self._sph_settings_from(device_sn, settings_data)
        return {"discharge_power": _int(settings.get("disChargePowerCommand"), 0),
                "discharge_stop_soc": stop_soc(settings, "wdisChargeSOCLowLimit", 10),
                "periods": read_periods(settings, "Discharge")}

    def sph_write_ac_charge_time(self, device_sn: str, period_id: int,
                                 start_time: time | str, end_time: time | str,
                                 enabled: bool = True, charge_power: int | None = None,
                                 charge_stop_soc: int | None = None,
                                 mains_enabled: bool | None = None,
                                 settings_data: Mapping[str, Any] | None = None) -> Any:
        """One charge period, as a read-merge-write of the whole schedule (spec 3.4), so the
        other two periods and the shared values stay as they are."""
        current = self.sph_read_ac_charge_times(device_sn, settings_data)
        periods = self._merge_period(current["periods"], period_id, start_time, end_time,
                                     enabled)
        return self.sph_write_ac_charge_times(
            device_sn,
            current["charge_power"] if charge_power is None else charge_power,
            current["charge_stop_soc"] if charge_stop_soc is None else charge_stop_soc,
            current["mains_enabled"] if mains_enabled is None else mains_enabled, periods)

    def sph_write_ac_discharge_time(self, device_sn: str, period_id: int,
                                    start_time: time | str, end_time: time | str,
                                    enabled: bool = True, discharge_power: int | None = None,
                                    discharge_stop_soc: int | None = None,
                                    settings_data: Mapping[str, Any] | None = None) -> Any:
        """One discharge period, as a read-merge-write of the whole schedule."""
        current = self.sph_read_ac_discharge_times(device_sn, settings_data)
        periods = self._merge_period(current["periods"], period_id, start_time, end_time,
                                     enabled)
        return self.sph_write_ac_discharge_times(
            device_sn,
            current["discharge_power"] if discharge_power is None else discharge_power,
            current["discharge_stop_soc"] if discharge_stop_soc is None else discharge_stop_soc,
            periods)

    # ---- shared ---------------------------------------------------------------------
    def write(self, endpoint: str, serial: str, type: str, params: Sequence[str],
              *, operation: str = "write") -> Any:
        """One write exactly as on the wire; the applier's entry point. All params are
        sent, unused ones blank (spec 2.7: 19 for tlxSet, 2.8: 18 for mixSet)."""
        count = {"tlxSet": MIN_PARAMS, "mixSet": SPH_PARAMS}.get(endpoint)
        if count is None:
            raise errors.InvalidValueError(f"not a write endpoint: {endpoint}",
                                           operation=operation, serial=serial)
        if len(params) > count:
            raise errors.InvalidValueError(f"{endpoint} takes at most {count} params",
                                           operation=operation, serial=serial)
        serial_field = "tlx_sn" if endpoint == "tlxSet" else "mix_sn"
        form = {serial_field: serial, "type": type}
        padded = [*map(str, params), *[""] * (count - len(params))]
        form.update({f"param{i}": value for i, value in enumerate(padded, 1)})
        return self._post(endpoint, form, kind="write", operation=operation, serial=serial)

    def _read_parameter(self, endpoint: str, operation: str, device_sn: str,
                        parameter_id: str | None, start_address: int | None,
                        end_address: int | None) -> Any:
        if (parameter_id is None) == (start_address is None):
            raise errors.InvalidValueError("give either parameter_id or start_address",
                                           operation=operation, serial=device_sn)
        if parameter_id is not None:
            form = {"device_sn": device_sn, "paramId": parameter_id, "startAddr": "0",
                    "endAddr": "0"}
        else:
            end = start_address if end_address is None else end_address
            form = {"device_sn": device_sn, "paramId": "set_any_reg",
                    "startAddr": str(start_address), "endAddr": str(end)}
        return self._post(endpoint, form, kind="read_param", operation=operation,
                          serial=device_sn)

    def _sph_settings_from(self, device_sn: str | None,
                           settings_data: Mapping[str, Any] | None) -> Mapping[str, Any]:
        if settings_data is None:
            if device_sn is None:
                raise errors.InvalidValueError("give device_sn or settings_data")
            settings_data = self.sph_settings(device_sn)
        if isinstance(settings_data, Mapping) and isinstance(settings_data.get("data"),
                                                             Mapping):
            settings_data = settings_data["data"]
        return settings_data if isinstance(settings_data, Mapping) else {}

    @staticmethod
    def _check_schedule(operation: str, serial: str, power: int, soc: int,
                        periods: Sequence[Mapping[str, Any]]) -> None:
        if not 0 <= int(power) <= 100 or not 0 <= int(soc) <= 100:
            raise errors.InvalidValueError("power and stop SOC must be 0 to 100",
                                           operation=operation, serial=serial)
        if len(periods) != 3:
            raise errors.InvalidValueError("periods must hold exactly 3 periods",
                                           operation=operation, serial=serial)

    @staticmethod
    def _period_params(periods: Sequence[Mapping[str, Any]]) -> list[str]:
        params: list[str] = []
        for period in periods:
            params += [*_hm(period["start_time"]), *_hm(period["end_time"]),
                       "1" if period.get("enabled") else "0"]
        return params

    @staticmethod
    def _merge_period(periods: list[dict[str, Any]], period_id: int, start: time | str,
                      end: time | str, enabled: bool) -> list[dict[str, Any]]:
        if not 1 <= int(period_id) <= 3:
            raise errors.InvalidValueError("period_id must be 1, 2 or 3")
        merged = [dict(period) for period in periods]
        merged[int(period_id) - 1].update(start_time=start, end_time=end, enabled=enabled)
        return merged


GrowattApiV1 = OpenApiV1  # the name the community client's usage text gives
