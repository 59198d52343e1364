"""Rosters of service steps from the maternal and child health system: linked to the
register, bad rows quarantined with reasons, nothing half-written, re-import idempotent."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from renkou.core.problems import InputRefused
from renkou.health.models import RosterImport, ServiceRecord, ServiceStep
from renkou.health.roster import roster_import
from renkou.orgunits.models import OrgUnit
from tests.builders import TOWNSHIP_A, id_number

pytestmark = pytest.mark.django_db

LI = id_number("1992-07-20", 22)  # 李丽 of A1
ZHANG = id_number("1990-03-05", 11)  # 张伟, her husband
WANG = id_number("1995-12-31", 52, region="410102")  # 王芳, living in A1
HEADER = (
    "项目,女方姓名,女方身份证号,男方姓名,男方身份证号,环节,日期,机构,服务人员,结果,知情同意日期"
)


def write(tmp_path: Path, name: str, *lines: str) -> Path:
    path = tmp_path / name
    path.write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")
    return path


def run(staff: dict[str, Any], path: Path) -> RosterImport:
    from tests.health.build import TODAY

    return roster_import(
        path=path,
        orgunit=OrgUnit.objects.get(code=TOWNSHIP_A),
        actor=staff["service_a"],
        today=TODAY,
    )


GOOD = (
    f"国免,李丽,{LI},张伟,{ZHANG},登记,2025-02-01,MCH-330122,王医生,,2025-02-01",
    f"国免,李丽,{LI},张伟,{ZHANG},检查,2025-02-10,县妇幼保健院,王医生,,2025-02-01",
    f"国免,李丽,{LI},张伟,{ZHANG},风险评估,2025-02-20,MCH-330122,王医生,高风险,2025-02-01",
    f"两癌,王芳,{WANG},,,筛查,2025-03-01,MCH-330122,李医生,,2025-03-01",
)
BAD = (
    f"国免,李丽,{LI},张伟,{ZHANG},早孕随访,2025-01-15,MCH-330122,王医生,,2025-02-01",  # before exam
    f"两癌,张伟,{ZHANG},,,筛查,2025-03-01,MCH-330122,李医生,,2025-03-01",  # a man's screening
    f"两癌,王芳,{WANG},,,结果,2025-03-05,乡卫生院,李医生,阴性,2025-03-01",  # unknown institution
    f"婚检,李丽,{LI},张伟,{ZHANG},婚检,2025-03-01,MCH-330122,李医生,,",  # consent missing
)


def test_a_roster_links_records_and_quarantines_bad_rows(
    staff: dict[str, Any], tmp_path: Path
) -> None:
    imp = run(staff, write(tmp_path, "a.csv", *GOOD, *BAD))
    assert (imp.rows, imp.recorded, imp.already) == (8, 4, 0)
    reasons = {p["row"]: p["reason"] for p in imp.problems}
    # file rows: header 1, GOOD 2-5, BAD 6-9
    assert reasons == {6: "order", 7: "man_screening", 8: "institution", 9: "consent"}
    assert ServiceRecord.objects.count() == 2 and ServiceStep.objects.count() == 4
    record = ServiceRecord.objects.get(programme="pre_pregnancy")
    assert record.consents.count() == 2
    assert "高风险" not in str(ServiceStep.objects.values_list("result_enc", flat=True))
    from renkou.core.models import AuditLog

    rows = AuditLog.objects.filter(action="health.roster.record")
    assert rows.count() == 2  # one per record, naming its steps, never a result
    assert sorted(len(r.after["steps"]) for r in rows) == [1, 3]
    assert all("high" not in str(r.after) and "高风险" not in str(r.after) for r in rows)
    assert AuditLog.objects.filter(action="health.roster.imported").count() == 1


def test_the_same_file_again_is_the_same_import_and_the_same_rows_change_nothing(
    staff: dict[str, Any], tmp_path: Path
) -> None:
    first = run(staff, write(tmp_path, "a.csv", *GOOD))
    again = run(staff, write(tmp_path, "a.csv", *GOOD))
    assert again.pk == first.pk
    other = run(staff, write(tmp_path, "b.csv", *GOOD, GOOD[0].replace("王医生", "王医生 ")))
    assert (other.recorded, other.already) == (0, 5)
    assert ServiceStep.objects.count() == 4


def test_a_file_without_a_required_column_leaves_nothing(
    staff: dict[str, Any], tmp_path: Path
) -> None:
    path = tmp_path / "c.csv"
    path.write_text(f"项目,女方姓名,女方身份证号\n国免,李丽,{LI}\n", encoding="utf-8")
    with pytest.raises(InputRefused):
        run(staff, path)
    assert not RosterImport.objects.exists() and not ServiceRecord.objects.exists()


def test_only_service_staff_import(staff: dict[str, Any], tmp_path: Path) -> None:
    with pytest.raises(PermissionError):
        roster_import(
            path=write(tmp_path, "a.csv", *GOOD),
            orgunit=OrgUnit.objects.get(code=TOWNSHIP_A),
            actor=staff["admin"],
        )


def test_upload_page_shows_the_rows_set_aside_in_chinese(
    staff: dict[str, Any], tmp_path: Path
) -> None:
    from django.test import Client

    from tests.builders import login_as

    client = login_as(Client(HTTP_ACCEPT_LANGUAGE="zh-hans"), staff["service_a"])
    path = write(tmp_path, "mch.csv", *GOOD, *BAD)
    with path.open("rb") as file:
        response = client.post("/health/imports/", {"file": file, "orgunit": TOWNSHIP_A})
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "两癌筛查记录须为女性" in page and "未知机构" in page and "缺少知情同意" in page
    assert "Unknown institution" not in page
    assert LI not in page  # no identity number on the page
    refused = login_as(Client(), staff["stat_a"]).get(response["Location"])
    assert refused.status_code == 403
