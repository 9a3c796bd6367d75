"""The file's structure as pydantic models (format version 1).

These models say what each key may hold; they are also the source of the JSON Schema,
so their descriptions are what editors show. Rules across keys (overlaps, slots,
families, profiles) live in `checks` and `compile`.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from reconciler.model import MIN_SLOTS, SPH_PERIODS

TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
MONTH_DAY = re.compile(r"^(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$")
DAYS_IN_MONTH = {1: 31, 2: 29, 3: 31, 4: 30, 5: 31, 6: 30, 7: 31, 8: 31, 9: 30, 10: 31,
                 11: 30, 12: 31}
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
MAX_PROFILE_ENTRIES = 16  # entries in one `profile:` list; keeps season checks cheap

PROFILE_RULE = (
    "Which profiles an inverter follows. A name, or a list. In a list, every name is "
    "merged, in list order; an entry {use, from, until} is a dated selector: of all "
    "selectors, only the first whose dates include the day (today in account.timezone, "
    "or --date) counts, and its `use` (a name or a list of names) is merged at that "
    "entry's place. A selector without dates always matches (a fallback, put it last). "
    "Later profiles win over earlier ones, and the inverter's own keys win over all.")


def _time(value: str) -> str:
    if value == "24:00":
        raise ValueError("24:00 can only end a window (it means 23:59); a window from "
                         "midnight starts at 00:00")
    if not TIME.match(value):
        raise ValueError(f"{value!r} is not a time: write HH:MM from 00:00 to 23:59 in "
                         "quotes, e.g. \"05:30\"")
    return value


def _end_time(value: str) -> str:
    if value == "24:00":
        return value
    if not TIME.match(value):
        raise ValueError(f"{value!r} is not a time: write HH:MM from 00:00 to 23:59 (or "
                         "24:00 for the end of the day) in quotes, e.g. \"05:30\"")
    return value


def _month_day(value: str) -> str:
    match = MONTH_DAY.match(value)
    if not match or int(match.group(2)) > DAYS_IN_MONTH[int(match.group(1))]:
        raise ValueError(f"{value!r} is not a day of the year: write MM-DD in quotes, e.g. "
                         "\"10-01\" (no year: the range repeats every year)")
    return value


def _zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError(f"unknown time zone {value!r}: use an IANA name such as "
                         "Europe/Berlin") from None
    return value


def _server(value: str) -> str:
    from reconciler.growatt.servers import SIM, base_url

    if value != SIM:
        base_url(value)  # its ServerError is a ValueError with a sentence
    return value


def _env_name(value: str) -> str:
    if not ENV_NAME.match(value):
        raise ValueError(f"{value!r} is not the name of an environment variable (letters, "
                         "digits and _, e.g. GROWATT_TOKEN): the token itself never goes in "
                         "the file")
    return value


# Patterns for editors only: the validators above give the messages people read.
Start = Annotated[str, AfterValidator(_time), Field(
    description="HH:MM, the first minute of the window (included)",
    json_schema_extra={"pattern": TIME.pattern})]
End = Annotated[str, AfterValidator(_end_time), Field(
    description="HH:MM, the last minute of the window (included); 24:00 means end of day "
                "(23:59). Before the start: the window crosses midnight and is split in two",
    json_schema_extra={"pattern": r"^(([01]\d|2[0-3]):[0-5]\d|24:00)$"})]
MonthDay = Annotated[str, AfterValidator(_month_day), Field(
    description="MM-DD, included; the range may wrap the new year",
    json_schema_extra={"pattern": MONTH_DAY.pattern})]
Percent = Annotated[int, Field(ge=0, le=100)]
Mode = Literal["load_first", "battery_first", "grid_first"]  # reconciler.model.MODES


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class Account(_Model):
    server: Annotated[str, AfterValidator(_server)] = Field(
        "eu", description="eu | us | cn | au | an https URL ending in /v1/ | sim (the "
                          "built-in simulator)")
    token_env: Annotated[str, AfterValidator(_env_name)] = Field(
        "GROWATT_TOKEN", description="the environment variable holding the API token (the "
                                     "token itself never goes in the file)",
        json_schema_extra={"pattern": ENV_NAME.pattern})
    read_interval: float | None = Field(
        None, ge=0, le=86400, allow_inf_nan=False,
        description="minimum seconds between identical reads (the cloud's rate-limit window; "
                    "default 300)")
    timezone: Annotated[str, AfterValidator(_zone)] | None = Field(
        None, description="IANA name, e.g. Europe/Berlin; default: the machine's. Decides "
                          "which day it is for seasonal profiles")


class SegmentModel(_Model):
    """One MIN time-of-use segment."""

    mode: Mode = Field(description="load_first | battery_first | grid_first")
    start: Start
    end: End
    slot: Annotated[int, Field(ge=1, le=MIN_SLOTS)] | None = Field(
        None, description="pin the segment to this slot (1-9); otherwise the tool chooses")
    enabled: bool = Field(True, description="false: the segment is listed but off")


class PeriodModel(_Model):
    """One SPH charge or discharge period."""

    start: Start
    end: End
    enabled: bool = Field(True, description="false: the period is listed but off")


Periods = Annotated[list[PeriodModel], Field(
    max_length=SPH_PERIODS,
    description="up to three windows (a window across midnight counts twice); an empty or "
                "omitted list: all three periods disabled")]


class ChargeModel(_Model):
    """SPH AC charge schedule, written whole. Keys merge with the inverter's profiles;
    power and stop_soc must be set somewhere."""

    power: Percent | None = Field(None, description="charge power, % of rated (required "
                                                    "here or in a profile)")
    stop_soc: Percent | None = Field(None, description="stop charging at this state of "
                                                       "charge, % (required here or in a "
                                                       "profile)")
    from_grid: bool = Field(True, description="charge from the grid (mains) too; default true")
    periods: Periods = Field(default_factory=list)


class DischargeModel(_Model):
    """SPH AC discharge schedule, written whole. Keys merge with the inverter's profiles;
    power and stop_soc must be set somewhere."""

    power: Percent | None = Field(None, description="discharge power, % of rated (required "
                                                    "here or in a profile)")
    stop_soc: Percent | None = Field(None, description="stop discharging at this state of "
                                                       "charge, % (required here or in a "
                                                       "profile)")
    periods: Periods = Field(default_factory=list)


ProfileNames = Annotated[list[str], Field(min_length=1, max_length=MAX_PROFILE_ENTRIES)]


class DatedProfile(_Model):
    """A dated selector in an inverter's profile list."""

    use: str | ProfileNames = Field(description="the profile name, or names merged in order, "
                                                "used while this entry is the first match")
    from_: MonthDay | None = Field(None, alias="from")
    until: MonthDay | None = None

    @model_validator(mode="after")
    def _both_ends(self) -> DatedProfile:
        if (self.from_ is None) != (self.until is None):
            raise ValueError("give both from and until, or neither (an entry without dates "
                             "always matches)")
        return self


class Sections(_Model):
    time_segments: Annotated[list[SegmentModel], Field(max_length=MIN_SLOTS)] | None = Field(
        None, description="MIN: the wanted segments (at most nine, a window across midnight "
                          "counts twice); present: slots holding none of them are disabled")
    ac_charge: ChargeModel | None = Field(None, description="SPH: the AC charge schedule")
    ac_discharge: DischargeModel | None = Field(None,
                                                description="SPH: the AC discharge schedule")
    settings: dict[str, Any] | None = Field(None, description="named parameters; only the "
                                                              "ones listed are managed")


class ProfileModel(Sections):
    """A reusable fragment, merged into the inverters that name it."""

    profile: str | ProfileNames | None = Field(
        None, description="other profiles merged before this one (no dated entries here); "
                          "a profile must not name itself, directly or through others")


class InverterModel(Sections):
    """One inverter; its name (the key) is its identity in plans."""

    serial: str = Field(description="the inverter's serial number: 10 capital letters and "
                                    "digits, e.g. MIN1234567",
                        json_schema_extra={"pattern": "^[A-Z0-9]{10}$"})
    type: Literal["min", "sph"] | None = Field(
        None, description="min | sph; when left out it is found from the device list")
    profile: str | Annotated[list[str | DatedProfile], Field(
        min_length=1, max_length=MAX_PROFILE_ENTRIES)] | None = Field(
        None, description=PROFILE_RULE)


def _version(value: Any) -> Any:
    if type(value) is not int:  # Literal[1] would take 1.0 and true
        raise ValueError(f"this tool reads format version 1; the file says version {value!r}")
    return value


class ConfigModel(_Model):
    """A growatt-reconcile desired-state file."""

    version: Annotated[Literal[1], BeforeValidator(_version)] = Field(
        description="the format version: 1")
    account: Account = Field(default_factory=lambda: Account())
    profiles: dict[str, ProfileModel] | None = Field(None, description="reusable fragments "
                                                     "by name")
    inverters: dict[str, InverterModel] = Field(description="inverters by name")
