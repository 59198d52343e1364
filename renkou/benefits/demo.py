"""The demo county's benefits history, prepared by ``renkou init`` with the demo users: what
an office would have done a week before a new user first signs in, so that a whole cycle
can be tried in one sitting although a public notice lasts at least seven days.

In the county's first township, the demo county administrator (``demo.county``) imported
the only-child certificates and the childcare applications nine days ago, computed this
year's only-child allowance and childcare subsidy, and published both lists on notice for
seven days from eight days ago: their notice is over today, so another county
administrator (the installation's ``admin``) can approve them. No bank account is entered:
importing the accounts (the facts page offers a sample file) is the new user's first step,
then approving, the payment file and the bank's result (a sample of which the cycle page
offers). Everything is written through the ordinary services, with their audit rows.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction

from renkou.benefits.choices import Programme
from renkou.benefits.fact_files import sample_xlsx
from renkou.benefits.facts_import import fact_import
from renkou.benefits.models import Cycle
from renkou.benefits.models_facts import FactKind
from renkou.benefits.services import cycle_compute, cycle_notice
from renkou.core.files import scratch_directory
from renkou.orgunits.models import OrgUnit

DEMO_ADMIN = "demo.county"
IMPORTED_DAYS_AGO = 9
NOTICE_DAYS_AGO = 8
NOTICE_DAYS = 7
PROGRAMMES = (Programme.ONLY_CHILD, Programme.CHILDCARE)
FACTS = (FactKind.CERTIFICATES, FactKind.APPLICATIONS)


@dataclass
class History:
    """What was prepared: the facts imported (kind, rows recorded) and the cycles on notice."""

    township: OrgUnit | None = None
    imported: list[tuple[str, int]] = field(default_factory=list)
    cycles: list[Cycle] = field(default_factory=list)


@transaction.atomic
def demo_history_prepare(*, county: str, today: datetime.date) -> History:
    """Prepare the history (see the module's text) once: nothing when the demo county
    administrator is missing or a cycle of the township exists already."""
    history = History()
    clerk = get_user_model().objects.filter(username=DEMO_ADMIN, is_active=True).first()
    township = OrgUnit.objects.filter(parent_id=county).order_by("code").first()
    if clerk is None or township is None or Cycle.objects.filter(orgunit=township).exists():
        return history
    history.township = township
    imported_on = today - datetime.timedelta(days=IMPORTED_DAYS_AGO)
    published = today - datetime.timedelta(days=NOTICE_DAYS_AGO)
    # the sample files hold identity numbers: written to the private scratch, removed after
    with scratch_directory("renkou-demo-") as tmp:
        for kind in FACTS:
            data, rows = sample_xlsx(kind, township.code, imported_on)
            if not rows:
                continue
            path = tmp / f"{kind}.xlsx"
            path.write_bytes(data)
            result = fact_import(
                path=path,
                kind=kind,
                orgunit=township,
                actor=clerk,
                today=imported_on,
                file_name=f"{kind}-{township.code}.xlsx",
            )
            history.imported.append((kind, result.fact_import.rows_applied))
    for programme in PROGRAMMES:
        cycle = cycle_compute(programme=programme, year=today.year, orgunit=township, actor=clerk)
        cycle_notice(cycle=cycle, start=published, days=NOTICE_DAYS, actor=clerk, today=published)
        history.cycles.append(cycle)
    return history


def history_lines(history: History) -> list[str]:
    """What ``renkou init`` prints of the history, in both languages."""
    if history.township is None:
        return []
    name = history.township.name
    lines = [f"Demo benefits history / 示范待遇记录 ({name} {history.township.code}):"]
    for kind, rows in history.imported:
        lines.append(f"  imported {rows} rows of {kind} / 已导入")
    for cycle in history.cycles:
        done: Any = cycle.decisions.filter(outcome="eligible").count()
        lines.append(
            f"  cycle {cycle.pk} {cycle.programme} {cycle.year}: {done} eligible, on notice "
            f"{cycle.notice_from} to {cycle.notice_until} / 公示期已满，可审批"
        )
    lines.append(
        "  next: import the bank accounts (benefits → facts → sample), approve as admin, "
        "make the payment file / 下一步：导入收款账号，以 admin 审批，生成发放文件"
    )
    return lines
