"""Helpers for the clock tests: explicit calendars, the shipped layer files, a fake pack."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from openum.deadlines.calendar import BusinessCalendar
from openum.deadlines.schema import ClockFile

PACKS = Path(__file__).resolve().parents[2] / "packs"
LA = ZoneInfo("America/Los_Angeles")
NY = ZoneInfo("America/New_York")

# Partnership's closed days we need, written out so the golden tests do not depend on calendar.yaml.
MEDI_CAL_HOLIDAYS = frozenset(
    {
        date(2026, 1, 1),
        date(2026, 1, 19),
        date(2026, 2, 16),
        date(2026, 3, 31),  # Cesar Chavez Day, a Tuesday
        date(2026, 5, 25),
        date(2026, 6, 19),
        date(2026, 7, 3),
        date(2026, 9, 7),
        date(2026, 11, 11),  # Veterans Day, a Wednesday
        date(2026, 11, 26),
        date(2026, 11, 27),  # Thanksgiving and the day after
        date(2026, 12, 25),
    }
)
# AllWays (Massachusetts legal holidays); the day after Thanksgiving is a business day.
ALLWAYS_HOLIDAYS = frozenset(
    {
        date(2026, 1, 1),
        date(2026, 1, 19),
        date(2026, 2, 16),
        date(2026, 4, 20),  # Patriots' Day, a Monday
        date(2026, 5, 25),
        date(2026, 6, 19),
        date(2026, 7, 3),
        date(2026, 9, 7),
        date(2026, 10, 12),
        date(2026, 11, 11),
        date(2026, 11, 26),
        date(2026, 12, 25),
        date(2027, 1, 1),
    }
)


def medi_cal_calendar() -> BusinessCalendar:
    return BusinessCalendar(LA, frozenset({5, 6}), MEDI_CAL_HOLIDAYS, time(8), time(17))


def allways_calendar() -> BusinessCalendar:
    return BusinessCalendar(NY, frozenset({5, 6}), ALLWAYS_HOLIDAYS, time(8), time(18))


def layer_file(rel: str) -> ClockFile:
    """A shipped clocks/*.yaml file, parsed."""
    return ClockFile.model_validate(yaml.safe_load((PACKS / rel).read_text()))


MEDI_CAL_PLAN = "partnership-medi-cal/clocks/partnership-um-program.yaml"
MEDICAID_FEDERAL = "partnership-medi-cal/clocks/federal-medicaid-managed-care.yaml"
ALLWAYS_MA = "allways-commercial/clocks/allways-massachusetts.yaml"
ERISA = "allways-commercial/clocks/federal-erisa-ncqa.yaml"
MEDICARE = "_layers/clocks/medicare-advantage.yaml"


@dataclass(frozen=True)
class FakePack:
    """Just what the engine reads from a PlanPack."""

    calendar: BusinessCalendar
    sections: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


def fake_pack(calendar: BusinessCalendar, *layers: ClockFile) -> FakePack:
    return FakePack(
        calendar, {"clocks": {f"clocks/{i:02d}-{f.id}.yaml": f for i, f in enumerate(layers)}}
    )


def medi_cal(*rels: str) -> FakePack:
    return fake_pack(
        medi_cal_calendar(), *(layer_file(r) for r in rels or (MEDICAID_FEDERAL, MEDI_CAL_PLAN))
    )


def allways(*rels: str) -> FakePack:
    return fake_pack(allways_calendar(), *(layer_file(r) for r in rels or (ALLWAYS_MA, ERISA)))


def medicare() -> FakePack:
    lib = layer_file(MEDICARE)
    return fake_pack(
        medi_cal_calendar(), lib.model_copy(update={"lines_of_business": ["medicare-advantage"]})
    )


def pt(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    """A Pacific wall-clock instant (Partnership's zone)."""
    return datetime(y, mo, d, h, mi, tzinfo=LA)


def et(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    """An Eastern wall-clock instant (AllWays' zone)."""
    return datetime(y, mo, d, h, mi, tzinfo=NY)


def eod(y: int, mo: int, d: int, tz: ZoneInfo) -> datetime:
    """The last microsecond of that local day, as the engine reports day clocks."""
    return datetime(y, mo, d, 23, 59, 59, 999999, tzinfo=tz).astimezone(UTC)


def pt_eod(y: int, mo: int, d: int) -> datetime:
    return eod(y, mo, d, LA)


def et_eod(y: int, mo: int, d: int) -> datetime:
    return eod(y, mo, d, NY)


def run(
    pack: Any,
    lob: str,
    kind: str,
    urgency: str,
    received: datetime,
    *events: Any,
    service_class: str | None = None,
) -> list[Any]:
    """Effective due times for one request."""
    from openum.deadlines.engine import due_times

    return due_times(
        pack=pack,
        line_of_business=lob,
        kind=kind,
        urgency=urgency,
        received_at=received,
        events=events,
        service_class=service_class,
    )


def get(results: list[Any], obligation: str, outcome: str | None = None) -> Any:
    """The effective DueTime of an obligation (and outcome); fails loudly if absent."""
    from openum.deadlines.engine import find
    from openum.deadlines.schema import Obligation, Outcome

    found = find(results, Obligation(obligation), Outcome(outcome) if outcome else None)
    assert found is not None, (
        f"no {obligation} {outcome or ''} in {[(d.obligation, d.outcome) for d in results]}"
    )
    return found


def due(results: list[Any], obligation: str, outcome: str | None = None) -> datetime | None:
    return get(results, obligation, outcome).due_at
