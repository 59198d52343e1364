"""The demo installation's benefits history (issue 18, "done when"): the cycles ``renkou
init`` prepares are on notice long enough to be approved today by another administrator,
and the sample accounts, the payment file and the sample bank result then carry a whole
childcare cycle to a reconciliation in one sitting."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import pytest
from django.test import Client
from python_calamine import CalamineWorkbook

from renkou.benefits.demo import demo_history_prepare
from renkou.benefits.fact_files import result_sample_xlsx, sample_xlsx
from renkou.benefits.facts_import import fact_import
from renkou.benefits.models import ChildcareApplication
from renkou.benefits.payments import batch_create, batch_reconcile
from renkou.benefits.services import CycleError, cycle_approve
from renkou.core.models import UserProfile
from renkou.orgunits.models import OrgUnit
from renkou.registry.models import Person
from tests.benefits.families import load_families
from tests.builders import COUNTY, TOWNSHIP_A, login_as, user_with_role

pytestmark = pytest.mark.django_db
D = datetime.date
TODAY = D(2025, 6, 30)


def test_the_prepared_cycles_reach_a_payment_file_and_a_reconciliation(tmp_path) -> None:
    load_families(tmp_path / "families")
    clerk = user_with_role("demo.county", "county_admin", COUNTY)
    head = user_with_role("head", "county_admin", COUNTY)
    history = demo_history_prepare(county=COUNTY, today=TODAY)
    assert history.township.code == TOWNSHIP_A
    # T_M's children under three registered in A1: T_1 (born 2024-12-31), T_2 (2025-01-01)
    # and J_C (2025-06-15); K_C turned three before 2025-06-30 minus 9 days, so has no row
    assert dict(history.imported)["childcare_applications"] == 3
    mother = Person.objects.get(person_ref="T_M")
    months = {
        a.child.person_ref: (a.first_month, a.last_month, a.applicant_id)
        for a in ChildcareApplication.objects.select_related("child")
    }
    assert months == {
        "T_1": (D(2025, 1, 1), D(2025, 12, 1), mother.pk),
        "T_2": (D(2025, 1, 1), D(2025, 12, 1), mother.pk),
        "J_C": (D(2025, 6, 1), D(2025, 12, 1), mother.pk),
    }
    assert [c.programme for c in history.cycles] == ["only_child", "childcare"]
    childcare = history.cycles[1]
    for cycle in history.cycles:
        # published eight days ago for seven days: 2025-06-22 to 2025-06-28
        assert (cycle.status, cycle.notice_from, cycle.notice_until) == (
            "notice",
            D(2025, 6, 22),
            D(2025, 6, 28),
        )
        with pytest.raises(CycleError):  # not by the one who computed it
            cycle_approve(cycle=cycle, actor=clerk, today=TODAY)
        with pytest.raises(CycleError):  # nor before the seventh day
            cycle_approve(cycle=cycle, actor=head, today=D(2025, 6, 28))
    assert demo_history_prepare(county=COUNTY, today=TODAY).cycles == []  # once only
    # the sample offered now holds no child who has an application (it would be refused)
    assert sample_xlsx("childcare_applications", TOWNSHIP_A, TODAY)[1] == 0

    cycle_approve(cycle=childcare, actor=head, today=TODAY)
    township = OrgUnit.objects.get(code=TOWNSHIP_A)
    data, rows = sample_xlsx("bank_accounts", TOWNSHIP_A, TODAY)
    (tmp_path / "accounts.xlsx").write_bytes(data)
    accounts = fact_import(
        path=tmp_path / "accounts.xlsx",
        kind="bank_accounts",
        orgunit=township,
        actor=head,
        today=TODAY,
    ).fact_import
    assert accounts.rows_quarantined == 0 and accounts.rows_applied == rows >= 1
    result = batch_create(cycle=childcare, path=None, actor=head)
    # 300 yuan a month from 2025: twelve months each for T_1 and T_2, seven for J_C
    assert result.total == Decimal(300 * (12 + 12 + 7))
    batch = childcare.batches.get()
    # the cycle page offers the sample result while the demo users are there, not after
    page = f"/benefits/cycles/{childcare.pk}/"
    sample = f"/benefits/batches/{batch.pk}/result-sample.xlsx"
    web = login_as(Client(), head)
    assert sample not in web.get(page).content.decode()
    assert web.get(sample).status_code == 403
    UserProfile.objects.update_or_create(user=clerk, defaults={"demo": True})
    assert sample in web.get(page).content.decode()
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(web.get(sample).content))
    table = sheet.get_sheet_by_index(0).to_python()
    references = list(batch.payments.order_by("pk").values_list("reference", flat=True))
    assert table == [["参考号", "状态", "原因"]] + [[r, "成功", ""] for r in references]
    (tmp_path / "result.xlsx").write_bytes(result_sample_xlsx(batch))
    counts = batch_reconcile(batch=batch, path=tmp_path / "result.xlsx", actor=head)
    assert counts == {"paid": result.lines, "failed": 0}  # every 25th fails: fewer lines here
