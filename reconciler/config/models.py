"""The file's structure as pydantic models (format version 1). Cross-field rules live in
`checks`; these models say what each key may hold."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
MONTH_DAY = re.compile(r"^(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$")
DAYS_IN_MONTH = {1: 31, 2: 29, 3: 31, 4: 30, 5: 31, 6: 30, 7: 31, 8: 31, 9: 30, 10: 31,
                 11: 30, 12: 31}


def _time(value: str) -> str:
    if not TIME.match(value):
        raise ValueError(f"{value!r} is not a time: write HH:MM from 00:00 to 23:59, "
                         "e.g. \"05:30\"")
    return value


def _end_time(value: str) -> str:
    return value if value == "24:00" else _time(value)


def _month_day(value: str) -> str:
    match = MONTH_DAY.match(value)
    if not match or int(match.group(2)) > DAYS_IN_MONTH[int(match.group(1))]:
        raise ValueError(f"{value!r} is not a date MM-DD, e.g. \"10-01\"")
    return value


Start = Annotated[str, AfterValidator(_time),
                  Field(description="HH:MM, the first minute of the window")]
End = Annotated[str, AfterValidator(_end_time),
                Field(description="HH:MM, the last minute of the window (included); 24:00 "
                                  "means end of day. Before the start: the window crosses "
                                  "midnight and is split in two")]
MonthDay = Annotated[str, AfterValidator(_month_day), Field(description="MM-DD")]
Percent = Annotated[int, Field(ge=0, le=100, strict=True)]
Mode = Literal["load_first", "battery_first", "grid_first"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class Account(_Model):
    server: str = Field("eu", description="eu | us | cn | au | an https URL ending in /v1/ | "
                                          "sim (the built-in simulator)")
    token_env: str = Field("GROWATT_TOKEN", description="the environment variable holding "
                                                        "the API token (never the file)")
    read_interval: float | None = Field(None, ge=0, strict=False, description=(
        "minimum seconds between identical reads (the cloud's window; default 300)"))
    timezone: str | None = Field(None, description="IANA name, e.g. Europe/Berlin; default: "
                                                   "the machine's. Chooses seasonal profiles "
                                                   "and checks the inverter clock")


class SegmentModel(_Model):
    mode: Mode
    start: Start
    end: End
    slot: Annotated[int, Field(ge=1, le=9)] | None = Field(
        None, description="pin the segment to this slot (1-9); otherwise the tool chooses")
    enabled: bool = True


class PeriodModel(_Model):
    start: Start
    end: End
    enabled: bool = True


class ChargeModel(_Model):
    """Keys merge with the inverter's profiles; power and stop_soc must be set somewhere."""

    power: Percent | None = Field(None, description="charge power, % of rated (required "
                                                    "here or in a profile)")
    stop_soc: Percent | None = Field(None, description="stop charging at this state of "
                                                       "charge, % (required here or in a "
                                                       "profile)")
    from_grid: bool = Field(True, description="charge from the grid (mains) too")
    periods: list[PeriodModel] = Field(default_factory=list, max_length=3, description=(
        "up to three windows; none: all three periods disabled"))


class DischargeModel(_Model):
    """Keys merge with the inverter's profiles; power and stop_soc must be set somewhere."""

    power: Percent | None = Field(None, description="discharge power, % of rated (required "
                                                    "here or in a profile)")
    stop_soc: Percent | None = Field(None, description="stop discharging at this state of "
                                                       "charge, % (required here or in a "
                                                       "profile)")
    periods: list[PeriodModel] = Field(default_factory=list, max_length=3, description=(
        "up to three windows; none: all three periods disabled"))


class DatedProfile(_Model):
    model_config = ConfigDict(extra="forbid", strict=True, populate_by_name=True)

    use: str | list[str] = Field(description="profile name(s) used in this date range")
    from_: MonthDay | None = Field(None, alias="from")
    until: MonthDay | None = None


ProfileRef = str | list[str | DatedProfile]


class Sections(_Model):
    time_segments: list[SegmentModel] | None = Field(
        None, description="MIN: the wanted segments; slots holding none are disabled")
    ac_charge: ChargeModel | None = Field(None, description="SPH: the AC charge schedule")
    ac_discharge: DischargeModel | None = Field(None,
                                                description="SPH: the AC discharge schedule")
    settings: dict[str, Any] | None = Field(None, description="named parameters; only the "
                                                              "ones listed are managed")


class ProfileModel(Sections):
    profile: str | list[str] | None = Field(None, description="other profiles merged first")


class InverterModel(Sections):
    serial: str = Field(description="the inverter's serial number, 10 characters")
    type: Literal["min", "sph"] | None = Field(
        None, description="min | sph; when left out it is found from the device list")
    profile: ProfileRef | None = Field(None, description=(
        "a profile name, or a list: names are merged in order (the inverter's own keys "
        "win); entries {use, from, until} choose by date, the first match wins"))


class ConfigModel(_Model):
    version: Literal[1]
    account: Account = Field(default_factory=lambda: Account())
    profiles: dict[str, ProfileModel] = Field(default_factory=dict)
    inverters: dict[str, InverterModel]
