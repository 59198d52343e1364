"""Exchange pages: upload, column confirmation, import job, import page, quarantine download,
worklist with evidence and its actions, all scoped and audited."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from renkou.core.models import AuditLog, Job
from renkou.exchange.models import Decision, Outcome, RosterImport, RosterRow
from renkou.exchange.uploads import incoming_dir
from renkou.registry.models import Event, Person
from tests.builders import TOWNSHIP_A, TOWNSHIP_B, VILLAGE_A1, client_as, id_number

pytestmark = pytest.mark.django_db

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
P1 = id_number("1990-03-05", 11)  # 张伟, M, alive
P2 = id_number("1992-07-20", 22)  # 李丽, mother of 张小明 (2021-01-15)
STRANGER = id_number("1980-08-08", 81)


def _csv(rows: list[list[str]], name: str = "deaths.csv") -> SimpleUploadedFile:
    text = "\n".join(",".join(r) for r in rows) + "\n"
    return SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")


DEATHS = [
    ["姓名", "身份证号", "性别", "死亡日期"],
    ["张伟", P1, "男", "2025-06-01"],
    ["陌生人", STRANGER, "男", "2025-06-02"],
    ["坏号", P1[:-1] + "0", "男", "2025-06-03"],
]


def _upload(client: Any, capture: Any, file: SimpleUploadedFile, kind: str) -> Any:
    with capture(execute=True):
        return client.post("/exchange/upload/", {"kind": kind, "orgunit": TOWNSHIP_A, "file": file})


@pytest.fixture
def statistician(county: None) -> Any:
    return client_as("statistician", TOWNSHIP_A, "stat-a")


@override_settings(TASKS=IMMEDIATE)
def test_upload_imports_and_links_in_the_background(
    statistician: Any, django_capture_on_commit_callbacks: Any
) -> None:
    page = statistician.get("/exchange/")
    assert page.status_code == 200 and 'enctype="multipart/form-data"' in page.content.decode()
    response = _upload(
        statistician, django_capture_on_commit_callbacks, _csv(DEATHS), "hospital_deaths"
    )
    job = Job.objects.get(kind="exchange.import")
    assert response.status_code == 302 and response["Location"] == f"/exchange/jobs/{job.pk}/"
    job.refresh_from_db()
    imp = RosterImport.objects.get()
    assert job.status == "done" and job.result["import"] == imp.pk
    assert (imp.file_name, imp.rows_staged, imp.rows_quarantined) == ("deaths.csv", 2, 1)
    assert list(incoming_dir().iterdir()) == []  # the clear-text upload is gone
    # The polling partial sends htmx on to the import page once the job is done.
    status = statistician.get(f"/exchange/jobs/{job.pk}/status/", HTTP_HX_REQUEST="true")
    assert status.status_code == 204 and status["HX-Redirect"] == f"/exchange/imports/{imp.pk}/"
    page = statistician.get(f"/exchange/imports/{imp.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    text = page.content.decode()
    assert "Matched with conflicts" in text and "Missing from the register" in text
    assert "3 rows: 2 staged, 1 quarantined" in text


@override_settings(TASKS=IMMEDIATE)
def test_worklist_shows_evidence_in_words_and_reports_the_missing_death(
    statistician: Any, django_capture_on_commit_callbacks: Any
) -> None:
    _upload(statistician, django_capture_on_commit_callbacks, _csv(DEATHS), "hospital_deaths")
    imp = RosterImport.objects.get()
    page = statistician.get(f"/exchange/imports/{imp.pk}/worklist/", HTTP_ACCEPT_LANGUAGE="en")
    text = page.content.decode()
    assert "Identity number</strong>: the same in the roster and the register" in text
    assert "the register shows the person alive" in text
    assert "Nobody in the register has this identity number." in text
    assert "Report the missing death" in text
    zh = statistician.get(f"/exchange/imports/{imp.pk}/worklist/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "身份证号" in zh.content.decode()

    row = imp.rows.get(row_number=2)
    response = statistician.post(f"/exchange/rows/{row.pk}/report/")
    row.refresh_from_db()
    event = Event.objects.get(pk=row.event_id)
    assert response.status_code == 302 and response["Location"] == f"/changes/{event.pk}/"
    assert (event.kind, event.status, str(event.effective_date)) == (
        "death",
        "submitted",
        "2025-06-01",
    )
    assert event.person == Person.objects.get(person_ref="P1")
    assert row.decision == Decision.EVENT_CREATED
    assert AuditLog.objects.filter(action="exchange.worklist.event", object_id=str(row.pk)).exists()
    # Decided: no longer open, shown among the decided ones.
    open_page = statistician.get(f"/exchange/imports/{imp.pk}/worklist/?outcome=conflicts")
    assert f'id="row-{row.pk}"' not in open_page.content.decode()
    decided = statistician.get(f"/exchange/imports/{imp.pk}/worklist/?state=decided")
    assert f'id="row-{row.pk}"' in decided.content.decode()


@override_settings(TASKS=IMMEDIATE)
def test_dismiss_needs_a_reason_and_confirm_records_the_decision(
    statistician: Any, django_capture_on_commit_callbacks: Any
) -> None:
    _upload(statistician, django_capture_on_commit_callbacks, _csv(DEATHS), "hospital_deaths")
    imp = RosterImport.objects.get()
    stranger = imp.rows.get(row_number=3)
    statistician.post(f"/exchange/rows/{stranger.pk}/dismiss/", {"reason": " "})
    stranger.refresh_from_db()
    assert stranger.decision == ""
    statistician.post(f"/exchange/rows/{stranger.pk}/dismiss/", {"reason": "外县人员"})
    stranger.refresh_from_db()
    assert (stranger.decision, stranger.decision_reason) == (Decision.DISMISSED, "外县人员")
    matched = imp.rows.get(row_number=2)
    statistician.post(f"/exchange/rows/{matched.pk}/confirm/")
    matched.refresh_from_db()
    assert matched.decision == Decision.CONFIRMED
    again = statistician.post(f"/exchange/rows/{matched.pk}/dismiss/", {"reason": "x"})
    assert again.status_code == 302
    matched.refresh_from_db()
    assert matched.decision == Decision.CONFIRMED  # decided once only


@override_settings(TASKS=IMMEDIATE)
def test_birth_missing_from_the_register_is_reported_through_the_mother(
    statistician: Any, django_capture_on_commit_callbacks: Any
) -> None:
    births = _csv(
        [
            ["婴儿姓名", "婴儿性别", "出生日期", "母亲姓名", "母亲身份证号"],
            ["张小红", "女", "2025-03-01", "李丽", P2],
        ],
        "births.csv",
    )
    _upload(statistician, django_capture_on_commit_callbacks, births, "hospital_births")
    row = RosterRow.objects.get()
    assert row.outcome == Outcome.MISSING
    statistician.post(f"/exchange/rows/{row.pk}/report/")
    row.refresh_from_db()
    event = row.event
    assert event.kind == "birth" and event.payload["state"]["name"] == "张小红"
    assert event.payload["state"]["mother_id"] == Person.objects.get(person_ref="P2").pk
    assert event.orgunit_id == VILLAGE_A1


@override_settings(TASKS=IMMEDIATE)
def test_unsure_headers_are_shown_for_confirmation_before_import(
    statistician: Any, django_capture_on_commit_callbacks: Any
) -> None:
    file = _csv(
        [["死者姓名全称", "证件号", "死亡时间（年月日）"], ["张伟", P1, "2025-06-01"]], "d.csv"
    )
    page = _upload(statistician, django_capture_on_commit_callbacks, file, "hospital_deaths")
    assert page.status_code == 200 and RosterImport.objects.count() == 0
    text = page.content.decode()
    assert 'name="col_name"' in text and 'name="token"' in text
    token = page.context["token"]
    form = {"token": token, "kind": "hospital_deaths", "orgunit": TOWNSHIP_A, "file_name": "d.csv"}
    # A required column left out: asked again, nothing imported.
    again = statistician.post(
        "/exchange/confirm/", {**form, "col_name": "0", "col_death_date": "-1"}
    )
    assert again.status_code == 200 and RosterImport.objects.count() == 0
    with django_capture_on_commit_callbacks(execute=True):
        done = statistician.post(
            "/exchange/confirm/",
            {**form, "col_name": "0", "col_id_number": "1", "col_death_date": "2"},
        )
    assert done.status_code == 302
    imp = RosterImport.objects.get()
    assert imp.mapping["confirmed"] and imp.mapping["columns"]["death_date"] == "死亡时间（年月日）"
    assert imp.rows.get().outcome == Outcome.CONFLICTS


def test_refused_file_stages_nothing_and_says_why(statistician: Any) -> None:
    bad = SimpleUploadedFile(
        "roster.xlsx", b"not a workbook at all", content_type="application/zip"
    )
    response = statistician.post(
        "/exchange/upload/",
        {"kind": "police_register", "orgunit": TOWNSHIP_A, "file": bad},
        HTTP_ACCEPT_LANGUAGE="en",
        follow=True,
    )
    text = response.content.decode()
    assert "roster.xlsx" in text and "unsupported file type" in text
    assert RosterImport.objects.count() == 0 and list(incoming_dir().iterdir()) == []


@override_settings(TASKS=IMMEDIATE)
def test_quarantine_downloads_with_a_reason_column_and_is_audited(
    statistician: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from python_calamine import CalamineWorkbook

    _upload(statistician, django_capture_on_commit_callbacks, _csv(DEATHS), "hospital_deaths")
    imp = RosterImport.objects.get()
    xlsx = statistician.get(f"/exchange/imports/{imp.pk}/quarantine.xlsx")
    assert xlsx.status_code == 200
    grid = (
        CalamineWorkbook.from_filelike(io.BytesIO(xlsx.content)).get_sheet_by_index(0).to_python()
    )
    assert grid[0][-1] == "reason" and grid[1][0] == 4 and grid[1][2] == P1[:-1] + "0"
    assert "身份证号" in grid[1][-2]
    csv_file = statistician.get(f"/exchange/imports/{imp.pk}/quarantine.csv")
    assert csv_file.content.startswith("\ufeff行号 row".encode())
    exports = AuditLog.objects.filter(action="exchange.quarantine_export", object_id=str(imp.pk))
    assert exports.count() == 2


@override_settings(TASKS=IMMEDIATE)
def test_pages_are_scoped_to_the_users_area(
    statistician: Any, django_capture_on_commit_callbacks: Any
) -> None:
    _upload(statistician, django_capture_on_commit_callbacks, _csv(DEATHS), "hospital_deaths")
    imp = RosterImport.objects.get()
    row = imp.rows.get(row_number=2)
    other = client_as("statistician", TOWNSHIP_B, "stat-b")
    assert other.get(f"/exchange/imports/{imp.pk}/").status_code == 404
    assert other.get(f"/exchange/imports/{imp.pk}/worklist/").status_code == 404
    assert other.post(f"/exchange/rows/{row.pk}/confirm/").status_code == 404
    assert imp.file_name not in other.get("/exchange/").content.decode()
    reporter = client_as("reporter", TOWNSHIP_A, "rep-a")
    assert reporter.get(f"/exchange/imports/{imp.pk}/").status_code == 200
    assert reporter.get(f"/exchange/imports/{imp.pk}/quarantine.csv").status_code == 403
    assert reporter.post(f"/exchange/rows/{row.pk}/confirm/").status_code == 403
    assert 'enctype="multipart/form-data"' not in reporter.get("/exchange/").content.decode()


@override_settings(TASKS=IMMEDIATE)
def test_linking_again_keeps_decisions(
    statistician: Any, django_capture_on_commit_callbacks: Any
) -> None:
    _upload(statistician, django_capture_on_commit_callbacks, _csv(DEATHS), "hospital_deaths")
    imp = RosterImport.objects.get()
    stranger = imp.rows.get(row_number=3)
    statistician.post(f"/exchange/rows/{stranger.pk}/dismiss/", {"reason": "外县人员"})
    with django_capture_on_commit_callbacks(execute=True):
        response = statistician.post(f"/exchange/imports/{imp.pk}/link/")
    assert response.status_code == 302
    job = Job.objects.get(kind="exchange.link")
    assert job.status == "done" and job.result["import"] == imp.pk
    assert AuditLog.objects.filter(action="exchange.link", object_id=str(imp.pk)).count() == 2
    stranger.refresh_from_db()
    assert stranger.decision == Decision.DISMISSED and stranger.outcome == Outcome.MISSING
    reporter = client_as("reporter", TOWNSHIP_A, "rep-a")
    assert reporter.post(f"/exchange/imports/{imp.pk}/link/").status_code == 403


def test_police_deaths_list_the_register_deaths_they_miss(statistician: Any, tmp_path) -> None:
    from renkou.exchange.linking import roster_link
    from renkou.exchange.selectors import register_not_in_roster
    from renkou.exchange.services import roster_import
    from renkou.orgunits.models import OrgUnit

    path = tmp_path / "police.csv"
    path.write_text(
        f"姓名,身份证号,死亡日期\n张伟,{P1},2025-06-01\n陌生人,{STRANGER},2023-01-01\n",
        encoding="utf-8",
    )
    imp = roster_import(
        path=path,
        kind="police_deaths",
        orgunit=OrgUnit.objects.get(code=TOWNSHIP_A),
        actor="test",
    ).roster_import
    roster_link(roster_import=imp, actor="test")
    # 张奶奶 (P4) died 2023-05-01 in A2: in the register, not on the police list.
    assert [p.person_ref for p in register_not_in_roster(imp)] == ["P4"]
    page = statistician.get(f"/exchange/imports/{imp.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    assert "Deaths in the register not on this roster" in page.content.decode()
    assert "张奶奶" in page.content.decode()
    other = client_as("reporter", "330122100201", "rep-a1")  # village A1: P4 lived in A2
    assert other.get(f"/exchange/imports/{imp.pk}/").status_code == 404  # a township's roster
