"""What a rule is: a stable code, a severity, and one SQL predicate over the feature row.

Every rule is a condition on one row of the *feature relation* (``quality.features``): the
person's own fields plus facts derived from related records (the mother's birth date, the
earlier children of the same mother, the person's events, the org units...). The same SQL
runs in both modes (``quality.engine``): over a handful of rows when one change is filed or
applied, and over the whole register in bulk. A NULL predicate never flags: a rule that
lacks the data it needs says nothing (the completeness rules say the data is missing).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from renkou.quality.rules.expr import Call, X, col

ERROR = "error"
WARNING = "warning"
SEVERITIES = (ERROR, WARNING)

# Legal minimum age at marriage by date (婚姻法 1950, 1980 in force 1981-01-01; 民法典 1047):
# configuration with a dated history, newest first: (from, men, women).
LEGAL_MARRIAGE_AGE: tuple[tuple[datetime.date, int, int], ...] = (
    (datetime.date(1981, 1, 1), 22, 20),
    (datetime.date(1950, 5, 1), 20, 18),
)


@dataclass(frozen=True)
class Rule:
    """One logic-check rule (逻辑校验规则).

    ``when`` is a condition (``rules.expr``) over the feature row; ``values`` are feature
    columns whose values are stored with a finding and fill ``{name}`` in the messages;
    ``fields`` are the person fields a correction would change. ``required`` marks a
    completeness rule as (applies, filled) conditions; the completeness rate (完整率)
    is counted from them.
    """

    code: str
    severity: str
    fields: tuple[str, ...]
    when: X
    message_zh: str
    message_en: str
    rationale: str
    values: tuple[str, ...] = ()
    required: tuple[X, X] | None = None

    def message(self, values: dict[str, object], language: str = "zh") -> str:
        """The message in ``language`` (zh or en) with the finding's values filled in."""
        template = self.message_zh if language.startswith("zh") else self.message_en
        shown = {name: _shown(values.get(name)) for name in self.values}
        return template.format(**shown)


def _shown(value: object) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def age(birth: str, day: str) -> str:
    """SQL for completed years of age on ``day`` of someone born on ``birth``."""

    def ymd(d: str) -> str:
        return f"(year({d}) * 10000 + month({d}) * 100 + day({d}))"

    return f"(({ymd(day)} - {ymd(birth)}) // 10000)"


def days_between(earlier: str, later: str) -> str:
    """SQL for the days from ``earlier`` to ``later``."""
    return f"date_diff('day', {earlier}, {later})"


def required(code: str, field: str, filled: X, applies: X, zh: str, en: str) -> Rule:
    """A completeness rule: ``field`` must be filled wherever ``applies`` holds."""
    return Rule(
        code=code,
        severity=WARNING,
        fields=(field,),
        when=applies & ~filled,
        message_zh=f"{zh}未填写",
        message_en=f"{en} is missing",
        rationale=f"{en} is a required field of the register; the completeness rate counts it.",
        required=(applies, filled),
    )


def legal_marriage_age(sex: str, day: str) -> str:
    """SQL for the legal minimum marriage age of ``sex`` on ``day`` (0 before any law)."""
    parts = " ".join(
        f"WHEN {day} >= DATE '{since.isoformat()}' THEN CASE WHEN {sex} = 'M' "
        f"THEN {men} ELSE {women} END"
        for since, men, women in LEGAL_MARRIAGE_AGE
    )
    return f"(CASE {parts} ELSE 0 END)"


def legal_marriage_age_py(sex: Any, day: Any) -> int:
    """Python twin of ``legal_marriage_age``."""
    if day is None:
        return 0  # as the SQL CASE: no law applies to an unknown day
    if not isinstance(day, datetime.date):
        return 0
    for since, men, women in LEGAL_MARRIAGE_AGE:
        if day >= since:
            return men if sex == "M" else women
    return 0


def legal_marriage_age_of(sex: str, day: str) -> X:
    """The legal minimum marriage age of column ``sex`` on date column ``day``."""
    return Call(legal_marriage_age("{0}", "{1}"), legal_marriage_age_py, col(sex), col(day))


def years_between(birth: Any, day: Any) -> int | None:
    """Completed years from ``birth`` to ``day`` (Python twin of ``age``)."""
    if birth is None or day is None:
        return None
    return (
        (day.year * 10000 + day.month * 100 + day.day)
        - (birth.year * 10000 + birth.month * 100 + birth.day)
    ) // 10000
