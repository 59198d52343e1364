"""Choice labels: the cached lookup still follows the active language and odd values."""

from __future__ import annotations

import datetime

from django.utils import translation

from renkou.registry.models import Event


def test_labels_follow_the_language_and_unknown_values_show_as_they_are() -> None:
    event = Event(kind="birth", status="applied", effective_date=datetime.date(2024, 1, 1))
    with translation.override("zh-hans"):
        assert event.get_kind_display() == "出生"
        assert event.get_status_display() == "已生效"
    with translation.override("en"):
        assert event.get_kind_display() == "Birth"
    event.kind = "no_such_kind"
    assert event.get_kind_display() == "no_such_kind"
