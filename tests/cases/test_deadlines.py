"""Deadlines come from the dated rules file, per channel, as in force on the day received."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pytest

from renkou.cases.deadlines import DeadlineRuleError, rule_for
from tests.cases.build import register

D = datetime.date


def test_the_default_rules_are_the_regulations_and_a_local_hotline_rule() -> None:
    for channel in ("letter", "visit", "online"):
        assert (
            rule_for(channel, D(2025, 3, 1)).accept_days,
            rule_for(channel, D(2025, 3, 1)).answer_days,
        ) == (15, 60)
    hotline = rule_for("hotline", D(2025, 3, 1))
    assert (hotline.accept_days, hotline.answer_days) == (1, 5)
    assert rule_for("letter", D(2025, 3, 1)).extension_max_days == 30
    # the day received is not counted: received 1 March, accepted within 15 days = by 16 March
    assert rule_for("letter", D(2025, 3, 1)).accept_due(D(2025, 3, 1)) == D(2025, 3, 16)
    assert rule_for("letter", D(2025, 3, 1)).answer_due(D(2025, 3, 16)) == D(2025, 5, 15)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "deadlines.yaml"
    path.write_text(text, encoding="utf-8")
    return path


LOCAL = """
accept_days:
  default: {2005-05-01: 15}
  hotline: {2005-05-01: 2, 2025-07-01: 1}
answer_days:
  default: {2005-05-01: 60}
  hotline: {2005-05-01: 10, 2025-07-01: 7}
"""


def test_a_local_file_replaces_the_rules_and_dates_decide_which_applies(
    tmp_path: Path, settings: Any
) -> None:
    settings.RENKOU_CASE_DEADLINES = str(write(tmp_path, LOCAL))
    before, after = rule_for("hotline", D(2025, 6, 30)), rule_for("hotline", D(2025, 7, 1))
    assert (before.accept_days, before.answer_days) == (2, 10)
    assert (after.accept_days, after.answer_days) == (1, 7)
    # a channel without its own entry takes the default; telephone has none in this file
    phone = rule_for("phone", D(2025, 7, 1))
    assert (phone.accept_days, phone.answer_days) == (15, 60)
    # before the first dated value, the first one
    assert rule_for("hotline", D(2001, 1, 1)).accept_days == 2
    # a file without extension_max_days allows no extension
    assert rule_for("letter", D(2025, 7, 1)).extension_max_days == 0


@pytest.mark.django_db
def test_a_case_keeps_the_rule_of_the_day_it_was_received(
    tmp_path: Path, settings: Any, staff: dict[str, Any]
) -> None:
    settings.RENKOU_CASE_DEADLINES = str(write(tmp_path, LOCAL))
    case = register(staff["stat_a"], channel="hotline", received_on=D(2025, 6, 30))
    assert (case.accept_days, case.answer_days, case.accept_due) == (2, 10, D(2025, 7, 2))


@pytest.mark.parametrize(
    "text",
    [
        "accept_days: {default: {2005-05-01: 15}}\n",  # no answer_days
        "accept_days: {hotline: {2005-05-01: 1}}\nanswer_days: {default: {2005-05-01: 60}}\n",
        "accept_days: {default: {2005-05-01: -1}}\nanswer_days: {default: {2005-05-01: 60}}\n",
        "accept_days: {default: {someday: 15}}\nanswer_days: {default: {2005-05-01: 60}}\n",
    ],
)
def test_a_rules_file_that_cannot_be_used_is_refused_saying_why(
    tmp_path: Path, settings: Any, text: str
) -> None:
    settings.RENKOU_CASE_DEADLINES = str(write(tmp_path, text))
    with pytest.raises(DeadlineRuleError):
        rule_for("letter", D(2025, 3, 1))
