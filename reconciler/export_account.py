"""Reading an account once and describing it in the file format (`export`)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from reconciler.devices import registry
from reconciler.exporter import config_document, device_entry, to_yaml
from reconciler.facts import family_of, read_inventory, read_settings


def name_for(device: dict[str, Any], raw: dict[str, Any], taken: set[str]) -> str:
    """A unique, YAML-safe name from the device alias (else the serial)."""
    alias = str(raw.get("alias") or device.get("alias") or device.get("device_sn") or "inverter")
    base = re.sub(r"[^a-z0-9]+", "-", alias.lower()).strip("-") or "inverter"
    if base[0].isdigit():
        base = f"inverter-{base}"
    name, n = base, 2
    while name in taken:
        name, n = f"{base}-{n}", n + 1
    taken.add(name)
    return name


def comment_for(device: dict[str, Any], raw: dict[str, Any]) -> str:
    parts = [f"model {device.get('model') or '?'}"]
    firmware = raw.get("fwVersion") or device.get("fw_version")
    if firmware:
        parts.append(f"firmware {firmware}")
    parts.append(f"datalogger {device.get('datalogger_sn') or raw.get('dataLogSn') or '?'}")
    if device.get("plant_id") is not None:
        parts.append(f"plant {device['plant_id']}")
    return ", ".join(parts)


def read_device(client: Any, serial: str, family: str, state_dir: Path,
                read_interval: float) -> tuple[dict[str, Any], dict[str, Any]]:
    """(identity, settings) from one read. A MIN's `min_detail` carries its alias and
    firmware beside the settings (`tlxSetbean`); without rights to it, `min_settings`."""
    from reconciler.growatt.errors import PermissionDeniedError

    if family == "min":
        try:
            detail = client.min_detail(serial)
        except PermissionDeniedError:
            detail = None
        if isinstance(detail, dict) and isinstance(detail.get("tlxSetbean"), dict) \
                and detail["tlxSetbean"]:
            return detail, detail["tlxSetbean"]
        read = read_settings(client, serial, family, state_dir=state_dir,
                             read_interval=read_interval)
        return (detail if isinstance(detail, dict) else read.raw), read.raw
    read = read_settings(client, serial, family, state_dir=state_dir,
                         read_interval=read_interval)
    return read.raw, read.raw


def export_account(client: Any, *, state_dir: Path, read_interval: float, plants: list[str],
                   serials: list[str], server: str, with_dangerous: bool = False
                   ) -> tuple[str, list[str]]:
    """(YAML text, warnings). One device list read per plant, one settings read per device."""
    from reconciler.growatt.errors import GrowattError

    inventory = read_inventory(client, state_dir=state_dir, needed=set(serials),
                               refresh=not serials)
    inverters: dict[str, dict[str, Any]] = {}
    comments: dict[str, str] = {}
    problems: list[str] = []
    taken: set[str] = set()
    for serial, device in sorted(inventory.devices.items(),
                                 key=lambda item: (str(item[1].get("plant_id")), item[0])):
        if serials and serial not in serials:
            continue
        if plants and str(device.get("plant_id")) not in plants:
            continue
        family = family_of(device)
        if family is None:
            problems.append(f"{serial}: device type {device.get('type')} is not MIN or SPH; "
                            "left out")
            continue
        module = registry()[family]
        try:
            identity, raw = read_device(client, serial, family, state_dir, read_interval)
        except GrowattError as exc:
            problems.append(f"{serial}: cannot read its settings ({exc}); left out")
            continue
        state = module.parse(serial, raw)
        problems.extend(f"{serial}: {warning}" for warning in state.warnings)
        name = name_for(device, identity, taken)
        inverters[name] = device_entry(state, pin_slots=False, with_dangerous=with_dangerous)
        comments[name] = comment_for(device, identity)
    missing = [serial for serial in serials if serial not in inventory.devices]
    problems.extend(f"{serial}: not in this account" for serial in missing)
    header = ("Exported by growatt-reconcile from the live account: what the inverters do now.\n"
              "Edit it, then `growatt-reconcile plan` shows what would change.\n"
              "For editor completion: `growatt-reconcile schema > inverters.schema.json`.")
    return to_yaml(config_document(inverters, server=server), header, comments), problems
