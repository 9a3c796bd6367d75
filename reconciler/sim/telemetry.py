"""Answers that reconciling never needs but the client offers: plants, live data, history.

Figures are synthesized from the serial and the time of day, deterministic and plausible.
"""

from __future__ import annotations

import hashlib
import math
from datetime import date, datetime, timedelta
from typing import Any


def _seed(serial: str) -> float:
    return int(hashlib.sha256(serial.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF


def _sun(moment: datetime) -> float:
    """0 at night, 1 at noon."""
    hour = moment.hour + moment.minute / 60
    return max(0.0, math.sin((hour - 6) / 12 * math.pi)) if 6 <= hour <= 18 else 0.0


def plant_entry(plant: dict[str, Any]) -> dict[str, Any]:
    devices = plant.get("devices", [])
    return {"plant_id": plant["plant_id"], "name": plant.get("name", ""),
            "country": plant.get("country", "Germany"), "city": plant.get("city", "Berlin"),
            "create_date": plant.get("create_date", "2024-04-01"),
            "current_power": f"{sum(live_power(d['device_sn']) for d in devices):.1f}",
            "total_energy": f"{1000 + 7000 * _seed(str(plant['plant_id'])):.1f}",
            "peak_power": float(plant.get("peak_power", 8.0)), "status": 1, "user_id": 31,
            "locale": "en-US", "latitude": "", "longitude": "", "image_url": "",
            "installer": "0", "operator": "0"}


def plant_details(plant: dict[str, Any]) -> dict[str, Any]:
    entry = plant_entry(plant)
    return {**entry, "plant_type": 0, "timezone": plant.get("timezone", "GMT+1"),
            "nominal_power": int(entry["peak_power"] * 1000)}


def plant_energy_overview(plant: dict[str, Any]) -> dict[str, Any]:
    seed = _seed(str(plant["plant_id"]))
    return {"today_energy": f"{20 * seed:.1f}", "monthly_energy": f"{400 * seed:.1f}",
            "yearly_energy": f"{5000 * seed:.1f}", "total_energy": f"{9000 * seed:.1f}",
            "current_power": float(sum(live_power(d["device_sn"])
                                       for d in plant.get("devices", []))),
            "last_update_time": datetime.now().strftime("%Y-%m-%d %H:%M:%S"),
            "timezone": plant.get("timezone", "GMT+1"), "carbon_offset": ""}


def live_power(serial: str, moment: datetime | None = None) -> float:
    moment = moment or datetime.now()
    return round(6000 * _seed(serial) * _sun(moment), 1)


def _battery(serial: str, moment: datetime) -> dict[str, float]:
    seed = _seed(serial)
    soc = round(20 + 75 * abs(math.sin(moment.hour / 24 * math.pi + seed)), 0)
    pv = live_power(serial, moment)
    load = round(300 + 900 * seed, 1)
    surplus = pv - load
    return {"soc": soc, "pv": pv, "load": load, "charge": max(0.0, surplus * 0.6),
            "discharge": max(0.0, -surplus * 0.7), "export": max(0.0, surplus * 0.4),
            "import": max(0.0, -surplus * 0.3)}


def min_last_data(device: dict[str, Any], lost: bool,
                  moment: datetime | None = None) -> dict[str, Any]:
    moment = moment or datetime.now()
    b = _battery(device["device_sn"], moment)
    return {"tlxSn": device["device_sn"], "dataLogSn": device.get("datalogger_sn", ""),
            "time": moment.strftime("%Y-%m-%d %H:%M:%S"), "lost": lost, "status": 1,
            "bdc1Soc": b["soc"], "ppv": b["pv"], "pac": b["pv"], "pacToLocalLoad": b["load"],
            "pself": b["load"], "pacToUserTotal": b["import"], "pacToGridTotal": b["export"],
            "pacToUser": b["import"], "pacToGrid": b["export"],
            "bdc1ChargePower": b["charge"], "bdc1DischargePower": b["discharge"],
            "eacToday": round(b["pv"] / 500, 1), "eacTotal": 1234.5}


def sph_last_data(device: dict[str, Any], lost: bool,
                  moment: datetime | None = None) -> dict[str, Any]:
    moment = moment or datetime.now()
    b = _battery(device["device_sn"], moment)
    return {"serialNum": device["device_sn"], "dataLogSn": device.get("datalogger_sn", ""),
            "time": moment.strftime("%Y-%m-%d %H:%M:%S"), "lost": lost, "status": 5,
            "soc": b["soc"], "ppv": b["pv"], "pLocalLoad": b["load"],
            "pacToUser": b["import"], "pacToGrid": b["export"], "pcharge1": b["charge"],
            "pdisCharge1": b["discharge"], "eChargeToday": 3.2, "eDischargeToday": 2.8}


def _dates(start: str, end: str) -> tuple[date, date] | None:
    """The inclusive date range of a history request (today when absent); None if garbage."""
    try:
        first = date.fromisoformat(start) if start else None
        last = date.fromisoformat(end) if end else None
    except ValueError:
        return None
    first = first or last or date.today()
    return first, last or first


def history(device: dict[str, Any], family: str, start: str, end: str,
            page: int, perpage: int) -> dict[str, Any]:
    """Five-minute records between two dates (at most seven days), newest first, paged."""
    serial = device["device_sn"]
    empty = {"count": 0, "datalogger_sn": device.get("datalogger_sn", ""), "datas": [],
             "device_sn": serial, "next_page_start_id": 0}
    span = _dates(start, end)
    if span is None:
        return empty
    first, last = span
    moments: list[datetime] = []
    day = first
    while day <= last and len(moments) < 2016:  # at most seven days of five-minute records
        moments += [datetime(day.year, day.month, day.day) + timedelta(minutes=5 * i)
                    for i in range(288)]
        day += timedelta(days=1)
    moments.reverse()
    chunk = moments[(page - 1) * perpage: page * perpage]
    make = min_last_data if family == "min" else sph_last_data
    datas = [make(device, False, moment) for moment in chunk]
    return {**empty, "count": len(moments), "datas": datas,
            "next_page_start_id": page * perpage + 1}


def plant_energy_history(plant: dict[str, Any], start: str, end: str, unit: str,
                         page: int, perpage: int) -> dict[str, Any]:
    """Energy per day, month or year between two dates, oldest first, paged."""
    span = _dates(start, end)
    keys: list[str] = []
    if span is not None:
        first, last = span
        if unit == "year":
            keys = [str(year) for year in range(first.year, min(last.year, first.year + 20) + 1)]
        elif unit == "month":
            month = date(first.year, first.month, 1)
            while month <= last and len(keys) < 24:
                keys.append(month.strftime("%Y-%m"))
                month = (month + timedelta(days=32)).replace(day=1)
        else:
            day = first
            while day <= last and len(keys) < 8:
                keys.append(day.isoformat())
                day += timedelta(days=1)
    scale = {"year": 5000.0, "month": 400.0}.get(unit, 20.0)
    seed = str(plant["plant_id"])
    energys = [{"date": key, "energy": f"{scale * (0.3 + 0.7 * _seed(seed + key)):.1f}"}
               for key in keys]
    return {"count": len(energys), "time_unit": unit, "plant_id": plant["plant_id"],
            "energys": energys[(page - 1) * perpage: page * perpage]}
