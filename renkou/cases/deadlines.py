"""Deadlines of cases from dated, configurable rules (``deadlines.yaml``).

A rule gives days per channel ("default" for the others), each value dated from the day it
takes effect; the value in force on the day a case is received applies to it. The file can
be replaced with ``RENKOU_CASE_DEADLINES`` (a province's or county's own rules).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings

DEFAULT_FILE = Path(__file__).resolve().parent / "deadlines.yaml"
KINDS = ("accept_days", "answer_days")
OPTIONAL = ("extension_max_days",)  # without it, no extension


class DeadlineRuleError(ValueError):
    """A rules file that cannot be used: a kind or a date missing, days not a number."""


@dataclass(frozen=True)
class Rule:
    """The days allowed for one case: to accept it, then to answer it."""

    accept_days: int
    answer_days: int
    extension_max_days: int = 0

    def accept_due(self, received_on: datetime.date) -> datetime.date:
        """The last day to accept a case received on ``received_on``."""
        return received_on + datetime.timedelta(days=self.accept_days)

    def answer_due(self, accepted_on: datetime.date) -> datetime.date:
        """The last day to answer a case accepted on ``accepted_on``."""
        return accepted_on + datetime.timedelta(days=self.answer_days)


def rules_file() -> Path:
    """Where the rules are read from."""
    return Path(getattr(settings, "RENKOU_CASE_DEADLINES", "") or DEFAULT_FILE)


@lru_cache(maxsize=4)
def _load(path: str, stamp: float) -> dict[str, dict[str, list[tuple[datetime.date, int]]]]:
    data: Any = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise DeadlineRuleError(f"{path}: expected accept_days and answer_days")
    rules: dict[str, dict[str, list[tuple[datetime.date, int]]]] = {}
    for kind in (*KINDS, *OPTIONAL):
        channels = data.get(kind)
        if channels is None and kind in OPTIONAL:
            continue
        if not isinstance(channels, dict) or "default" not in channels:
            raise DeadlineRuleError(f"{path}: {kind} needs a 'default' entry")
        rules[kind] = {}
        for channel, values in channels.items():
            if not isinstance(values, dict) or not values:
                raise DeadlineRuleError(f"{path}: {kind}.{channel} needs dated values")
            dated = []
            for start, days in values.items():
                if not isinstance(start, datetime.date) or not isinstance(days, int) or days < 0:
                    raise DeadlineRuleError(
                        f"{path}: {kind}.{channel}: '{start}: {days}' is not 'YYYY-MM-DD: days'"
                    )
                dated.append((start, days))
            rules[kind][str(channel)] = sorted(dated)
    return rules


def rules() -> dict[str, dict[str, list[tuple[datetime.date, int]]]]:
    """Every rule with its dated values (reloaded when the file changes)."""
    path = rules_file()
    return _load(str(path), path.stat().st_mtime)


def _in_force(values: list[tuple[datetime.date, int]], on: datetime.date) -> int:
    # the latest value on or before the day; before the first one, the first one
    chosen = values[0][1]
    for start, days in values:
        if start <= on:
            chosen = days
    return chosen


def rule_for(channel: str, received_on: datetime.date) -> Rule:
    """The days allowed to a case of ``channel`` received on ``received_on``."""
    table = rules()
    days = {
        kind: _in_force(table[kind].get(channel) or table[kind]["default"], received_on)
        for kind in (*KINDS, *OPTIONAL)
        if kind in table
    }
    return Rule(**days)
