"""Checks a change must pass before it is recorded (identity numbers and dates for now).

The quality app's rules will run here too; these are the ones that make a change
impossible rather than doubtful.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.utils import timezone

from renkou.core import idnumber
from renkou.core.problems import Problem, problem
from renkou.orgunits.models import Level, OrgUnit
from renkou.registry.choices import EventKind
from renkou.registry.models import Person

EARLIEST_DATE = datetime.date(1850, 1, 1)


class EventRefused(Exception):
    """A change cannot be recorded; ``problems`` say why (zh and en)."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems))

    @classmethod
    def single(cls, code: str, *, column: str, value: object, **params: str) -> EventRefused:
        """Refusal for one reason."""
        return cls([problem(code, file="", column=column, value=value, **params)])


def check_id_number(
    text: str, *, birth_date: datetime.date | None, sex: str | None, column: str = "id_number"
) -> list[Problem]:
    """Problems of an identity number, including disagreement with birth date and sex."""
    try:
        parsed = idnumber.parse(text)
    except idnumber.InvalidIdNumber as exc:
        return [
            problem(
                "id_invalid",
                file="",
                column=column,
                value=text,
                reason_zh=exc.message_zh,
                reason_en=exc.message_en,
            )
        ]
    out = []
    if birth_date is not None and parsed.birth_date != birth_date:
        out.append(
            problem(
                "id_mismatch",
                file="",
                column=column,
                value=text,
                field_zh="出生日期",
                field_en="the birth date",
            )
        )
    if sex and parsed.sex != sex:
        out.append(
            problem(
                "id_mismatch",
                file="",
                column=column,
                value=text,
                field_zh="性别",
                field_en="the sex",
            )
        )
    return out


def check_date(value: datetime.date | None, column: str, today: datetime.date) -> list[Problem]:
    """A date that is present, not in the future and not before 1850."""
    if value is None:
        return [problem("required", file="", column=column)]
    if value > today:
        return [problem("future_date", file="", column=column, value=value.isoformat())]
    if value < EARLIEST_DATE:
        return [problem("too_old_date", file="", column=column, value=value.isoformat())]
    return []


def validate_event(
    *,
    kind: str,
    person: Person | None,
    orgunit: OrgUnit,
    effective_date: datetime.date,
    report_date: datetime.date,
    payload: dict[str, Any],
) -> None:
    """Raise ``EventRefused`` listing every problem of a change, or return quietly."""
    today = timezone.localdate()
    problems = check_date(effective_date, "effective_date", today)
    problems += check_date(report_date, "report_date", today)
    if not problems and report_date < effective_date:
        problems.append(
            problem(
                "report_before_event", file="", column="report_date", value=report_date.isoformat()
            )
        )
    if orgunit.level != Level.VILLAGE:
        problems.append(problem("not_leaf", file="", column="orgunit", value=orgunit.code))
    elif not orgunit.is_valid_on(effective_date):
        problems.append(problem("unknown_orgunit", file="", column="orgunit", value=orgunit.code))
    if kind in (EventKind.BIRTH, EventKind.ENROL):
        if person is not None:
            problems.append(problem("wrong_kind", file="", column="person", value="—"))
        state = payload.get("state") or {}
        if kind == EventKind.BIRTH and state.get("birth_date") != effective_date.isoformat():
            problems.append(
                problem("bad_date", file="", column="birth_date", value=state.get("birth_date", ""))
            )
    else:
        if person is None:
            problems.append(problem("wrong_kind", file="", column="person", value="person"))
        elif kind != EventKind.CORRECTION:
            if effective_date < person.birth_date:
                problems.append(
                    problem(
                        "event_before_birth",
                        file="",
                        column="effective_date",
                        value=effective_date.isoformat(),
                    )
                )
            if person.death_date and effective_date > person.death_date:
                problems.append(
                    problem(
                        "event_after_death",
                        file="",
                        column="effective_date",
                        value=effective_date.isoformat(),
                    )
                )
    if problems:
        raise EventRefused(problems)
