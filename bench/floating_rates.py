"""The rates part of ``python -m bench floating``, in a process of its own: a database
(``RENKOU_DATA_DIR``) with the synthetic county's tree and the messages of a
1,000,000-person county's arrivals and received requests over five years, then the rates
of the county and each township for every year, quarter and month timed. Prints
"<seconds> <what was counted>".

Run: ``RENKOU_DATA_DIR=… python -m bench.floating_rates ARRIVALS``.
"""

from __future__ import annotations

import datetime
import io
import os
import random
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "renkou.settings")

import django

django.setup()

import numpy as np  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.utils import timezone  # noqa: E402

from renkou.analytics.periods import periods_between  # noqa: E402
from renkou.floating.models import Message, MessageKind, MessageState  # noqa: E402
from renkou.floating.selectors import rates_of_periods, unit_rates  # noqa: E402
from renkou.orgunits.models import OrgUnit  # noqa: E402
from renkou.synth.orgunits import build  # noqa: E402
from tests.builders import write_csv  # noqa: E402

FIRST, LAST = datetime.date(2021, 1, 1), datetime.date(2025, 12, 31)
ORIGINS = ["430521", "510105", "410102", "360124", "522601", "110105"]


def _county() -> list[str]:
    """The synthetic county's tree loaded; its living villages' codes."""
    tree = build(np.random.default_rng(2026))
    path = Path(tempfile.mkdtemp()) / "orgunits.csv"
    write_csv(
        path,
        [
            {"code": c, "name": n, "parent_code": p, "valid_from": f, "valid_to": t}
            for c, n, p, f, t in tree.rows
        ],
    )
    call_command("orgunits", "load", str(path), stdout=io.StringIO())
    return tree.village_codes


def _messages(villages: list[str], arrivals: int) -> None:
    """The county's arrival notices (most sent within 7 days, some late, some not yet) and
    the verification requests its villages received (a third as many; most answered)."""
    rng = random.Random(19)
    days = (LAST - FIRST).days + 1
    rows = []
    for i in range(arrivals):
        day = FIRST + datetime.timedelta(days=rng.randrange(days))
        late = rng.random()
        sent = None if late < 0.05 else day + datetime.timedelta(days=rng.randint(0, 14))
        rows.append(
            Message(
                kind=MessageKind.NOTICE,
                state=MessageState.SENT if sent else MessageState.TO_SEND,
                sender_area=villages[i % len(villages)],
                receiver_area=ORIGINS[i % len(ORIGINS)],
                person_data={"name": f"流动{i}"},
                event_date=day,
                deadline_days=7,
                due_on=day + datetime.timedelta(days=7),
                sent_at=_at(sent) if sent else None,
            )
        )
    for i in range(arrivals // 3):
        day = FIRST + datetime.timedelta(days=rng.randrange(days))
        answered = None if rng.random() < 0.1 else day + datetime.timedelta(rng.randint(0, 25))
        rows.append(
            Message(
                kind=MessageKind.REQUEST,
                state=MessageState.ANSWERED if answered else MessageState.SENT,
                sender_area=ORIGINS[i % len(ORIGINS)],
                receiver_area=villages[(i * 7) % len(villages)],
                person_data={"name": f"协查{i}"},
                deadline_days=15,
                due_on=day + datetime.timedelta(days=15),
                sent_at=_at(day),
                received_at=_at(day),
                answered_at=_at(answered) if answered else None,
            )
        )
    Message.objects.bulk_create(rows, batch_size=2000)


def _at(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime(day.year, day.month, day.day, 10, 0))


def main() -> None:
    """Build, then time the rates of every period of the county and its townships."""
    arrivals = int(sys.argv[1])
    call_command("migrate", verbosity=0)
    villages = _county()
    _messages(villages, arrivals)
    county = OrgUnit.objects.get(level=3).code
    units = [county, *OrgUnit.objects.filter(level=4).values_list("code", flat=True)]
    periods = list(periods_between(FIRST, LAST, ("year", "quarter", "month")))
    started = time.perf_counter()
    figures = rates_of_periods(units, periods)
    seconds = time.perf_counter() - started
    counted = sum(f["notice"].denominator for f in figures.values())
    # the same figures as the pages' one-at-a-time count (checked on a sample, untimed)
    for unit, period in ((units[0], periods[0]), (units[-1], periods[-1])):
        assert figures[(unit, period.id)] == unit_rates(unit, period.start, period.end)
    print(
        f"{seconds:.3f} {len(units)} units × {len(periods)} periods ({counted:,} arrivals counted)"
    )


if __name__ == "__main__":
    main()
