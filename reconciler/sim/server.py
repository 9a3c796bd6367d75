"""The simulated cloud's HTTP side: routing, envelope, token check, rate limit, faults, log.

Standard library only. API-level failures are HTTP 200 with a non-zero `error_code`, as
the real cloud answers (spec 1.5); transport faults are what injection asks for.
"""

from __future__ import annotations

import json
import socket
import struct
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import parse_qs, urlsplit

from reconciler.sim import min as min_family
from reconciler.sim import sph as sph_family
from reconciler.sim import telemetry
from reconciler.sim.errors import SimError
from reconciler.sim.faults import Faults
from reconciler.sim.ratelimit import RateLimiter
from reconciler.sim.state import SimState

FAMILIES: dict[int, ModuleType] = {7: min_family, 5: sph_family}
BY_WRITE_ENDPOINT = {module.WRITE_ENDPOINT: module for module in FAMILIES.values()}
BY_READ_PARAM = {module.READ_PARAM_ENDPOINT: module for module in FAMILIES.values()}
WRITE_ENDPOINTS = frozenset(BY_WRITE_ENDPOINT)
RATE_LIMITED = {"data": "", "error_code": 10012, "error_msg": "error_frequently_access"}
TRANSPORT_FAULTS = frozenset({"http500", "html", "badjson", "timeout", "reset"})
SYSTEM_ERROR = {"data": "", "error_code": 10001, "error_msg": "error_system"}
LOGIN_PAGE = (b"<!DOCTYPE html><html><head><title>Growatt</title></head>"
              b"<body><form action='/login'>Please log in</form></body></html>")


@dataclass
class SimOptions:
    fixture: Path | None = None  # None: the packaged default fixture
    state_path: Path | None = None  # None: in memory only
    tokens: tuple[str, ...] = ()  # empty: any non-empty token
    rate_limit: str = "off"  # off | request:SECONDS | endpoint:SECONDS
    rate_limit_writes: bool = False
    latency_ms: float = 0
    apply_delay: float = 0.0
    offline: tuple[str, ...] = ()
    offline_code: int = 10003  # 10003 inverter offline, 10005 datalogger offline
    faults: tuple[str, ...] = ()
    seed: int | None = None
    overlap_check: bool = True
    overlap_error_code: int = 10008
    sph_emit_unsuffixed: bool = False
    timeout_seconds: float = 60.0
    request_log: Path | None = None
    host: str = "127.0.0.1"
    port: int = 0
    # token -> endpoints it gets 10011 on (spec 1.2), e.g. {"T": ("tlx_data_info",)}
    denied: dict[str, tuple[str, ...]] = field(default_factory=dict)


class Answer(Exception):
    """Raised inside a handler to send a whole envelope at once."""

    def __init__(self, body: dict[str, Any]) -> None:
        super().__init__(body.get("error_msg", ""))
        self.body = body


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value not in (None, "") else default
    except ValueError:
        raise SimError(10001, "error_param_not_a_number") from None


def page_number(fields: dict[str, str]) -> int:
    page = _int(fields.get("page"), 1)
    if page > 250:
        raise SimError(10014, "error_page_over_250")
    return max(1, page)


def page_size(fields: dict[str, str]) -> int:
    perpage = _int(fields.get("perpage"), 20)
    if perpage > 100:
        raise SimError(10013, "error_page_size_over_100")
    return max(1, perpage)


def page_of(items: list[Any], fields: dict[str, str]) -> list[Any]:
    """One page of a list endpoint (page from 1, perpage at most 100, spec 4.1)."""
    page, perpage = page_number(fields), page_size(fields)
    return items[(page - 1) * perpage: page * perpage]


def is_denied(endpoint: str, denied: tuple[str, ...]) -> bool:
    """A token's refused endpoints, by path relative to /v1/ or by its last segment."""
    return endpoint in denied or endpoint.rsplit("/", 1)[-1] in denied


class Cloud:
    """Everything the endpoints need; one per server."""

    def __init__(self, options: SimOptions) -> None:
        self.options = options
        self.state = SimState(options.fixture, options.state_path)
        self.limiter = RateLimiter(options.rate_limit)
        self.faults = Faults(options.faults, options.seed)
        self.offline = set(options.offline)
        self.requests: list[dict[str, Any]] = []
        self.stopping = threading.Event()
        self._log_lock = threading.Lock()
        self.routes: dict[str, Callable[[dict[str, str]], Any]] = {
            "plant/list": self.plant_list,
            "plant/details": lambda f: telemetry.plant_details(self.plant(f)),
            "plant/data": lambda f: telemetry.plant_energy_overview(self.plant(f)),
            "plant/energy": self.plant_energy,
            "device/list": self.device_list,
            "device/tlx/tlx_set_info": lambda f: self.settings(f, 7),
            "device/tlx/tlx_data_info": self.min_detail,
            "device/tlx/tlx_last_data": lambda f: self.last_data(f, 7, "tlx_sn"),
            "device/tlx/tlx_data": lambda f: self.history(f, 7, "tlx_sn"),
            "device/mix/mix_data_info": lambda f: self.settings(f, 5),
            "device/mix/mix_last_data": lambda f: self.last_data(f, 5, "mix_sn"),
            "device/mix/mix_data": lambda f: self.history(f, 5, "mix_sn"),
            "tlxSet": lambda f: self.write(f, min_family),
            "mixSet": lambda f: self.write(f, sph_family),
            "readMinParam": lambda f: self.read_parameter(f, min_family),
            "readMixParam": lambda f: self.read_parameter(f, sph_family),
        }

    # ---- log ------------------------------------------------------------------------
    def log(self, entry: dict[str, Any]) -> None:
        with self._log_lock:
            self.requests.append(entry)
            if self.options.request_log is not None:
                with self.options.request_log.open("a", encoding="utf-8") as handle:
                    handle.write(json.dumps(entry, sort_keys=True) + "\n")
                    handle.flush()

    # ---- lookups --------------------------------------------------------------------
    def plant(self, fields: dict[str, str]) -> dict[str, Any]:
        plant_id = fields.get("plant_id", "")
        if not plant_id:
            raise SimError(10002, "error_plant_id_empty")
        for plant in self.state.data["plants"]:
            if str(plant.get("plant_id")) == plant_id:
                return dict(plant)
        raise SimError(10003, "error_plant_not_exist")

    def device(self, serial: str, device_type: int, empty_code: int = 10004,
               missing_code: int = 10002) -> dict[str, Any]:
        if not serial:
            raise SimError(empty_code, "error_device_sn_empty")
        device = self.state.device(serial)
        if device is None or int(device.get("type", 0)) != device_type:
            raise SimError(missing_code, "error_device_not_exist")
        return device

    def lost(self, device: dict[str, Any]) -> bool:
        return bool(device.get("lost")) or device["device_sn"] in self.offline

    # ---- reads ----------------------------------------------------------------------
    def plant_list(self, fields: dict[str, str]) -> dict[str, Any]:
        plants = self.state.data["plants"]
        chosen = page_of(plants, fields)
        return {"count": len(plants), "plants": [telemetry.plant_entry(p) for p in chosen]}

    def plant_energy(self, fields: dict[str, str]) -> dict[str, Any]:
        plant = self.plant(fields)
        return telemetry.plant_energy_history(
            plant, fields.get("start_date", ""), fields.get("end_date", ""),
            fields.get("time_unit") or "day", page_number(fields), page_size(fields))

    def device_list(self, fields: dict[str, str]) -> dict[str, Any]:
        plant = self.plant(fields)
        everything = plant.get("devices", [])
        devices = [{"device_sn": d["device_sn"], "device_id": index + 100,
                    "type": int(d["type"]), "model": d.get("model", "A0B0D0T0PFU1M3S4"),
                    "manufacturer": "Growatt", "datalogger_sn": d.get("datalogger_sn", ""),
                    "lost": self.lost(d), "status": 0 if self.lost(d) else 1,
                    "last_update_time": d.get("last_update_time", "2026-03-14 21:05:12")}
                   for index, d in enumerate(everything)]
        return {"count": len(devices), "devices": page_of(devices, fields)}

    def settings(self, fields: dict[str, str], device_type: int) -> Any:
        device = self.device(fields.get("device_sn", ""), device_type, 10001, 10001)
        data = self.state.shown_settings(device["device_sn"])
        if device_type == 5 and "lost" in data:
            data["lost"] = self.lost(device)
        raise Answer({"device_sn": device["device_sn"],
                      "dataloggerSn": device.get("datalogger_sn", ""), "data": data,
                      "error_code": 0, "error_msg": ""})

    def min_detail(self, fields: dict[str, str]) -> Any:
        device = self.device(fields.get("device_sn", ""), 7, 10001, 10001)
        data = {"serialNum": device["device_sn"], "dataLogSn": device.get("datalogger_sn", ""),
                "alias": device.get("alias", device["device_sn"]), "deviceType": 7,
                "fwVersion": device.get("firmware", "TL1.0"), "innerVersion": "tlaa010101",
                "lost": self.lost(device), "status": 1, "pmax": 6000,
                "tlxSetbean": self.state.shown_settings(device["device_sn"])}
        raise Answer({"device_sn": device["device_sn"],
                      "dataloggerSn": device.get("datalogger_sn", ""), "data": data,
                      "error_code": 0, "error_msg": ""})

    def last_data(self, fields: dict[str, str], device_type: int, key: str) -> Any:
        device = self.device(fields.get(key, ""), device_type, 10003, 10002)
        make = telemetry.min_last_data if device_type == 7 else telemetry.sph_last_data
        raise Answer({"data": make(device, self.lost(device)),
                      "datalogger_sn": device.get("datalogger_sn", ""),
                      "device_sn": device["device_sn"], "error_code": 0, "error_msg": ""})

    def history(self, fields: dict[str, str], device_type: int, key: str) -> Any:
        device = self.device(fields.get(key, ""), device_type, 10003, 10002)
        return telemetry.history(device, "min" if device_type == 7 else "sph",
                                 fields.get("start_date", ""), fields.get("end_date", ""),
                                 page_number(fields), page_size(fields))

    def read_parameter(self, fields: dict[str, str], family: ModuleType) -> Any:
        device = self.device(fields.get("device_sn", ""), family.DEVICE_TYPE, 10004, 10002)
        if self.lost(device):
            raise SimError(self.options.offline_code, "error_device_offline")
        param = fields.get("paramId", "")
        if param == "set_any_reg":
            return str(device["registers"].get(str(_int(fields.get("startAddr"), 0)), "0"))
        key = family.read_key(param)
        if key is not None:
            value = self.state.shown_settings(device["device_sn"]).get(key, "")
            return "" if value is None else str(value)
        if param in family.NAMED:
            return str(device["params"].get(param, "0"))
        raise SimError(10009, "error_read_param_type_not_exist")

    # ---- writes ---------------------------------------------------------------------
    def write(self, fields: dict[str, str], family: ModuleType, ignore: bool = False) -> Any:
        serial = fields.get(family.WRITE_SERIAL_FIELD, "")
        if not serial:
            raise SimError(10004, "error_device_sn_empty")
        device = self.state.device(serial)
        if device is None or int(device.get("type", 0)) != family.DEVICE_TYPE:
            raise SimError(10012, "error_device_not_exist")
        if self.lost(device):
            code = self.options.offline_code
            raise SimError(code, "error_datalogger_offline" if code == 10005
                           else "error_device_offline")
        write_type = fields.get("type", "")
        if not write_type:
            raise SimError(10006, "error_param_type_empty")
        params = [fields.get(f"param{i}", "") for i in range(1, family.PARAM_COUNT + 1)]
        with self.state.lock:
            changes = family.write(write_type, params, device["settings"], self.options)
            if not ignore:
                self.state.apply(serial, changes, self.options.apply_delay)
        return ""


class Handler(BaseHTTPRequestHandler):
    server: SimHTTPServer
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out as separate writes

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the request log is ours; never print headers (they carry the token)

    def do_GET(self) -> None:
        self.handle_api("GET")

    def do_POST(self) -> None:
        self.handle_api("POST")

    def read_fields(self) -> dict[str, str]:
        url = urlsplit(self.path)
        fields = {k: v[0] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            body = self.rfile.read(length).decode("utf-8", errors="replace")
            fields |= {k: v[0] for k, v in parse_qs(body, keep_blank_values=True).items()}
        return fields

    def send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def send_json(self, body: dict[str, Any]) -> None:
        self.send(200, json.dumps(body).encode(), "application/json;charset=UTF-8")

    def handle_api(self, method: str) -> None:
        """Answer one request. The request is logged before the answer goes out, so a
        client that has its answer finds its request in the log."""
        cloud = self.server.cloud
        path = urlsplit(self.path).path
        fields = self.read_fields()
        endpoint = path.removeprefix("/v1/").removeprefix("/v4/").strip("/")
        entry: dict[str, Any] = {"time": time.time(), "method": method, "path": path,
                                 "endpoint": endpoint, "fields": fields, "error_code": None,
                                 "http_status": 200, "fault": None}
        options = cloud.options
        if options.latency_ms:
            time.sleep(options.latency_ms / 1000)
        is_write = endpoint in WRITE_ENDPOINTS
        fault = cloud.faults.pick(endpoint, is_write)
        entry["fault"] = fault
        if fault in TRANSPORT_FAULTS:
            entry["http_status"] = {"http500": 500, "timeout": None, "reset": None}.get(fault, 200)
            cloud.log(entry)
            self.transport_fault(fault, cloud)
            return
        body = self.envelope(cloud, path, endpoint, fields, is_write,
                             ignore=fault == "ignore-write", rate_limited=fault == "ratelimit")
        entry["error_code"] = body.get("error_code")
        cloud.log(entry)
        self.send_json(body)

    def transport_fault(self, fault: str, cloud: Cloud) -> None:
        """Answer below the API: an error page, a login page, broken JSON, silence, a reset."""
        if fault == "http500":
            self.send(500, b"<html><body>500 Internal Server Error</body></html>", "text/html")
        elif fault == "html":
            self.send(200, LOGIN_PAGE, "text/html;charset=UTF-8")
        elif fault == "badjson":
            self.send(200, b'{"data": {"serialNum": "MIN12', "application/json")
        elif fault == "timeout":
            # hang in small steps, so that stopping the server does not wait for us
            deadline = time.monotonic() + cloud.options.timeout_seconds
            while time.monotonic() < deadline and not cloud.stopping.wait(0.05):
                pass
            self.close_connection = True
        elif fault == "reset":
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
            self.close_connection = True

    def envelope(self, cloud: Cloud, path: str, endpoint: str, fields: dict[str, str],
                 is_write: bool, ignore: bool, rate_limited: bool) -> dict[str, Any]:
        if not (path.startswith("/v1/") or path.startswith("/v4/")) or \
                endpoint not in cloud.routes:
            return {"data": "", "error_code": 10001, "error_msg": "error_interface_not_exist"}
        token = self.headers.get("token", "")
        options = cloud.options
        if not token or (options.tokens and token not in options.tokens) or \
                is_denied(endpoint, options.denied.get(token, ())):
            return {"data": "", "error_code": 10011, "error_msg": "error_permission_denied"}
        limited = not is_write or options.rate_limit_writes
        if rate_limited or (limited and cloud.limiter.refuse(token, endpoint, fields)):
            return dict(RATE_LIMITED)
        try:
            if is_write:
                data = cloud.write(fields, BY_WRITE_ENDPOINT[endpoint], ignore=ignore)
            else:
                data = cloud.routes[endpoint](fields)
        except Answer as answer:
            return answer.body
        except SimError as error:
            return {"data": "", "error_code": error.code, "error_msg": error.message}
        except Exception:  # a simulator bug: answer as the cloud's "system error", say so
            traceback.print_exc(file=sys.stderr)
            return dict(SYSTEM_ERROR)
        return {"data": data, "error_code": 0, "error_msg": ""}


class SimHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], cloud: Cloud) -> None:
        super().__init__(address, Handler)
        self.cloud = cloud


class SimServer:
    """A running simulator: `url`, the request log, knobs for tests, `stop()`."""

    def __init__(self, options: SimOptions) -> None:
        self.cloud = Cloud(options)
        self.httpd = SimHTTPServer((options.host, options.port), self.cloud)
        host, port = self.httpd.server_address[:2]
        host = host.decode() if isinstance(host, bytes) else str(host)
        shown = f"[{host}]" if ":" in host else host
        self.url = f"http://{shown}:{port}/v1/"
        self.port = int(port)
        self._thread = threading.Thread(target=self.httpd.serve_forever,
                                        kwargs={"poll_interval": 0.1}, daemon=True)

    @property
    def requests(self) -> list[dict[str, Any]]:
        return self.cloud.requests

    @property
    def read_interval(self) -> float:
        return self.cloud.limiter.window if self.cloud.limiter.mode != "off" else 0.0

    @property
    def state(self) -> SimState:
        return self.cloud.state

    def start(self) -> SimServer:
        self._thread.start()
        return self

    def set_faults(self, specs: list[str]) -> None:
        self.cloud.faults.replace(specs)

    def set_offline(self, serials: list[str]) -> None:
        self.cloud.offline = set(serials)

    def raw_settings(self, serial: str) -> dict[str, Any]:
        return self.cloud.state.shown_settings(serial)

    def set_raw_settings(self, serial: str, settings: dict[str, Any]) -> None:
        self.cloud.state.set_settings(serial, settings)

    def stop(self) -> None:
        self.cloud.stopping.set()
        self.httpd.shutdown()
        self.httpd.server_close()

    def serve_forever(self) -> None:
        self.httpd.serve_forever(poll_interval=0.1)

    def __enter__(self) -> SimServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_server(options: SimOptions) -> SimServer:
    """Start serving in a daemon thread; returns once the socket listens."""
    return SimServer(options).start()
