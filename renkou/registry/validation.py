"""Checks a change must pass before it is recorded (identity numbers and dates for now).

The quality app's rules will run here too; these are the ones that make a change
impossible rather than doubtful.
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from typing import Any

from django.utils import timezone

from renkou.core import idnumber
from renkou.core.problems import MESSAGES, Problem, problem, shown_value
from renkou.orgunits.models import Level, OrgUnit
from renkou.registry.choices import EventKind
from renkou.registry.models import Person

EARLIEST_DATE = datetime.date(1850, 1, 1)

# Messages of the register's own refusals (code -> zh, en), beside the shared catalogue.
REGISTRY_MESSAGES: dict[str, tuple[str, str]] = {
    "orgunit_not_yet": (
        "{name}（{value}）在 {day} 尚未设立（{valid_from} 起设立）",
        "{name} ({value}) did not exist yet on {day} (it exists from {valid_from})",
    ),
    "orgunit_closed": (
        "{name}（{value}）在 {day} 已不存在（{valid_to} 撤销）",
        "{name} ({value}) no longer existed on {day} (closed on {valid_to})",
    ),
    "same_value": (
        "{field_zh}已经是 {value}，无需更正",
        "{field_en} is already {value}: nothing to correct",
    ),
    "id_taken": (
        "身份证号已属于登记中的另一人（{value}）",
        "this identity number already belongs to another person in the register ({value})",
    ),
    "id_facts": (
        "身份证号与{field_zh}不符：请更正身份证号，并勾选“按身份证号同时更正出生日期和性别”",
        "the identity number does not agree with {field_en}: correct the identity number "
        "and tick \u201calso correct the birth date and sex from the identity number\u201d",
    ),
    "bad_ethnicity": (
        "民族代码 {value} 无效（应为 01–56、97 或 98）",
        "ethnicity code {value} is invalid (01–56, 97 or 98)",
    ),
    "bad_place": (
        "户籍地 {value} 无效：应为本辖区现有村（居）的 12 位代码，或外地的 6 位地区代码",
        "registered place {value} is invalid: give the 12-digit code of one of our villages "
        "or the 6-digit region code of a place elsewhere",
    ),
    "bad_parent_link": (
        "{value}不能是此人的{field_zh}",
        "{value} cannot be this person's {field_en}",
    ),
    "future_month": (
        "{value} 尚未到来，不能上报",
        "{value} has not come yet: it cannot be reported",
    ),
    "month_has_changes": (
        "{value} 已上报 {count} 条变动，本月已算作已报，无需上报本月无变动",
        "{count} changes dated in {value} have been reported: the month counts as reported, "
        "no empty report is needed",
    ),
    "bad_phone": (
        "电话号码 {value} 无效：应为 11 位手机号（1 开头），或 7–20 位的固话号码（可含区号和“-”）",
        "phone number {value} is invalid: give an 11-digit mobile number (starting with 1) or "
        "a landline of 7–20 digits (area code and “-” allowed)",
    ),
    "region_here": (
        "户籍地 {value} 是本辖区：外来人员的户籍地应为辖区外的 6 位地区代码",
        "registered place {value} is ours: a person arriving from outside is registered at "
        "the 6-digit region code of a place outside our area",
    ),
    "bad_region": (
        "户籍地 {value} 不是有效的 6 位地区代码（GB/T 2260）",
        "registered place {value} is not a valid 6-digit region code (GB/T 2260)",
    ),
    "arrival_pending": (
        "身份证号为 {value} 的人员的迁入已上报，正在等待审核",
        "the arrival of the person with identity number {value} has already been reported "
        "and is waiting for review",
    ),
    "wrong_household": (
        "户号 {value} 属于另一个村（居）",
        "household number {value} belongs to another village",
    ),
    "village_absent": (
        "{name}（{value}）在 {day} 不存在",
        "{name} ({value}) did not exist in {day}",
    ),
}


def refusal(code: str, *, column: str, value: object = "", **params: str) -> Problem:
    """A problem of the register's catalogue (or the shared one), in zh and en."""
    if code in REGISTRY_MESSAGES:
        zh, en = REGISTRY_MESSAGES[code]
        text = "" if value is None else shown_value(str(value))
        return Problem(
            file="",
            row=0,
            column=column,
            value=text,
            code=code,
            message_zh=zh.format(value=text, **params),
            message_en=en.format(value=text, **params),
        )
    assert code in MESSAGES, code
    return problem(code, file="", column=column, value=value, **params)


def orgunit_on_date(orgunit: OrgUnit, day: datetime.date, column: str = "orgunit") -> list[Problem]:
    """A village that did not exist on ``day`` says so, with the dates it existed."""
    if orgunit.is_valid_on(day):
        return []
    params = {"name": orgunit.name, "day": day.isoformat()}
    if day < orgunit.valid_from:
        return [
            refusal(
                "orgunit_not_yet",
                column=column,
                value=orgunit.code,
                valid_from=orgunit.valid_from.isoformat(),
                **params,
            )
        ]
    valid_to = orgunit.valid_to.isoformat() if orgunit.valid_to else ""
    return [
        refusal("orgunit_closed", column=column, value=orgunit.code, valid_to=valid_to, **params)
    ]


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
    else:
        problems += orgunit_on_date(orgunit, effective_date)
    if kind in (EventKind.BIRTH, EventKind.ENROL):
        if person is not None:
            problems.append(problem("wrong_kind", file="", column="person", value="—"))
        state = payload.get("state") or {}
        if kind == EventKind.BIRTH and state.get("birth_date") != effective_date.isoformat():
            problems.append(
                problem("bad_date", file="", column="birth_date", value=state.get("birth_date", ""))
            )
    elif kind == EventKind.MOVE_IN and person is None and "state" in payload:
        pass  # an arrival from outside: the new person is created when the event is applied
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


PHONE_PATTERN = re.compile(r"^(1\d{10}|[0-9][0-9-]{5,18}[0-9])$")


def check_phone(text: str, *, column: str = "phone") -> tuple[str, list[Problem]]:
    """A phone number in its stored form (no spaces, full-width digits made ASCII) and its
    problems: an 11-digit mobile (1…) or a landline of 7–20 characters of digits and "-"."""
    value = "".join(unicodedata.normalize("NFKC", text or "").split())
    if not value:
        return "", []
    digits = value.replace("-", "")
    if not PHONE_PATTERN.match(value) or not 7 <= len(digits) <= 20:
        return value, [refusal("bad_phone", column=column, value=value)]
    return value, []
