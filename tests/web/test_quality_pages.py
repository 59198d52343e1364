"""Quality pages: findings per area with the fix and the confirmation, rates, the bulk check
as a background job with progress, and the logic checks on change reports."""

from __future__ import annotations

import csv
import datetime
from pathlib import Path
from typing import Any

import pytest
from django.test import override_settings

from renkou.core.models import AuditLog, Job
from renkou.orgunits.models import OrgUnit
from renkou.quality.bulk import quality_run
from renkou.quality.models import Confirmation, Finding
from renkou.registry import services
from renkou.registry.loading import registry_load
from renkou.registry.models import Event, Person
from tests.builders import (
    COUNTY,
    TOWNSHIP_A,
    TOWNSHIP_B,
    VILLAGE_A1,
    VILLAGE_B1,
    client_as,
    person,
    running_here,
    small_county,
    today,
)
from tests.quality.cases import person as case_person

pytestmark = pytest.mark.django_db

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def old_people(tmp_path: Path) -> dict[str, Person]:
    """The small county plus two women over 110, one in A1 and one in B1."""
    directory = small_county(tmp_path / "c")
    path = directory / "persons.csv"
    with path.open(encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        columns = list(reader.fieldnames or [])
        rows = list(reader)
    rows.append(person("P6", "赵老太", "F", "1905-03-01", 62, marital_status="widowed"))
    rows.append(
        person(
            "P7",
            "钱老太",
            "F",
            "1906-04-01",
            72,
            marital_status="widowed",
            residence_code=VILLAGE_B1,
            hukou_code=VILLAGE_B1,
        )
    )
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns)
        writer.writeheader()
        writer.writerows({c: r.get(c, "") for c in columns} for r in rows)
    registry_load(path=directory, actor="test", today=today())
    quality_run(actor="test")
    return {ref: Person.objects.get(person_ref=ref) for ref in ("P6", "P7")}


def test_findings_are_scoped_and_link_to_the_correction(old_people: dict[str, Any]) -> None:
    p6, p7 = old_people["P6"], old_people["P7"]
    reporter = client_as("reporter", VILLAGE_A1)
    page = reporter.get("/quality/findings/")
    shown = {f.person_id for f in page.context["rows"]}
    assert p6.pk in shown and p7.pk not in shown
    text = page.content.decode()
    assert f"/changes/new/correction/?person={p6.pk}" in text
    assert "超过110" in text or "110" in text
    assert 'class="confirm"' not in text  # a reporter corrects; the township confirms
    other = client_as("statistician", TOWNSHIP_B, name="b")
    assert {f.person_id for f in other.get("/quality/findings/").context["rows"]} == {p7.pk}
    filtered = other.get("/quality/findings/", {"rule": "Q-AGE-OVER-110", "severity": "error"})
    assert filtered.context["rows"] == []  # the rule is a warning


def test_confirming_needs_a_reason_and_stops_the_rule(old_people: dict[str, Any]) -> None:
    p6 = old_people["P6"]
    finding = Finding.objects.get(person=p6, rule="Q-AGE-OVER-110")
    assert (
        client_as("reporter", VILLAGE_A1)
        .post(f"/quality/findings/{finding.pk}/confirm/", {"reason": "x"})
        .status_code
        == 403
    )
    assert (
        client_as("statistician", TOWNSHIP_B, name="b")
        .post(f"/quality/findings/{finding.pk}/confirm/", {"reason": "x"})
        .status_code
        == 404
    )
    stat = client_as("statistician", TOWNSHIP_A, name="a")
    stat.post(f"/quality/findings/{finding.pk}/confirm/", {"reason": ""})
    assert Finding.objects.filter(pk=finding.pk).exists()
    reason = "户籍核实：1905年出生，百岁老人"
    stat.post(f"/quality/findings/{finding.pk}/confirm/", {"reason": reason})
    assert not Finding.objects.filter(person=p6, rule="Q-AGE-OVER-110").exists()
    assert Confirmation.objects.get(person=p6, rule="Q-AGE-OVER-110").reason == reason
    assert AuditLog.objects.filter(action="quality.confirm", reason=reason).exists()
    quality_run(actor="test")  # the next bulk run leaves it alone
    assert not Finding.objects.filter(person=p6, rule="Q-AGE-OVER-110").exists()
    assert Finding.objects.filter(person=old_people["P7"], rule="Q-AGE-OVER-110").exists()


def test_correction_form_opens_with_the_person_chosen(old_people: dict[str, Any]) -> None:
    p6 = old_people["P6"]
    page = client_as("reporter", VILLAGE_A1).get(
        "/changes/new/correction/", {"person": p6.pk, "field": "name"}
    )
    assert page.context["form"].initial["person"] == f"{p6.pk}@{p6.version}"
    assert page.context["picked"]["person"][0] == p6
    assert page.context["form"].initial["field"] == "name"


def test_overview_shows_rates_by_unit_with_a_chart(old_people: dict[str, Any]) -> None:
    page = client_as("county_admin", COUNTY, name="c").get(f"/quality/{COUNTY}/")
    total = page.context["total"]
    assert total.persons == 7 and total.persons_with_error == 0
    assert [r.orgunit for r in page.context["children"]] == [TOWNSHIP_A, TOWNSHIP_B]
    assert '"type": "bar"' in page.context["chart"]
    by_rule = {r["rule"]: r["n"] for r in page.context["by_rule"]}
    assert by_rule["Q-AGE-OVER-110"] == 2
    # A reporter sees the village's page, not the county's.
    assert client_as("reporter", VILLAGE_A1).get(f"/quality/{COUNTY}/").status_code == 404


@override_settings(TASKS=IMMEDIATE)
def test_bulk_check_runs_in_the_background_with_progress(
    old_people: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    stat = client_as("statistician", TOWNSHIP_A, name="a")
    reporter = client_as("reporter", VILLAGE_A1)
    assert reporter.post(f"/quality/{TOWNSHIP_A}/run/").status_code == 404  # not their area
    assert reporter.post(f"/quality/{VILLAGE_A1}/run/").status_code == 403  # not their job
    with django_capture_on_commit_callbacks(execute=True):
        stat.post(f"/quality/{TOWNSHIP_A}/run/")
    job = Job.objects.get(kind="quality.run")
    assert job.status == "done" and job.orgunit == TOWNSHIP_A
    assert job.result["persons"] == 6  # the five of the family and P6; P7 lives in B
    partial = stat.get(f"/jobs/{job.pk}/").content.decode()
    assert "hx-trigger" not in partial  # finished: no more polling
    assert AuditLog.objects.filter(action="job.start", object_id=str(job.pk)).exists()
    other = client_as("statistician", TOWNSHIP_B, name="b")
    assert other.get(f"/jobs/{job.pk}/").status_code == 404


def test_running_job_polls_its_progress(old_people: dict[str, Any]) -> None:
    job = Job.objects.create(kind="quality.run", orgunit=TOWNSHIP_A, **running_here(progress=0.5))
    partial = client_as("statistician", TOWNSHIP_A, name="a").get(f"/jobs/{job.pk}/")
    text = partial.content.decode()
    assert 'hx-trigger="every 1s"' in text and 'value="50"' in text


def test_change_page_shows_blocking_findings_until_confirmed(old_people: dict[str, Any]) -> None:
    p6 = old_people["P6"]  # 119 years old: a birth to her is flagged as an error
    birth = services.birth_submit(
        name="赵小宝",
        sex="M",
        birth_date=datetime.date(2024, 5, 1),
        orgunit=OrgUnit.objects.get(code=VILLAGE_A1),
        actor="test",
        mother=p6,
    )
    stat = client_as("statistician", TOWNSHIP_A, name="a")
    page = stat.get(f"/changes/{birth.pk}/")
    errors = [f for f in page.context["findings"] if f["severity"] == "error"]
    assert "Q-FAM-MOTHER-AGE" in {f["rule"] for f in errors}
    stat.post(f"/changes/{birth.pk}/decide/", {"decision": "apply"})
    assert Event.objects.get(pk=birth.pk).status == "submitted"  # refused
    for f in errors:
        stat.post(
            f"/changes/{birth.pk}/confirm/", {"rule": f["rule"], "reason": "医院出生证明核实"}
        )
    stat.post(
        f"/changes/{birth.pk}/decide/", {"decision": "apply", "warnings_reason": "补登，尚未办证"}
    )
    assert Event.objects.get(pk=birth.pk).status == "applied"


def test_a_warning_is_applied_only_with_a_reason(old_people: dict[str, Any]) -> None:
    mother = case_person("孙大姐", "F", "1973-02-01", marital_status="married")  # 51 at the birth
    birth = services.birth_submit(
        name="孙小妹",
        sex="F",
        birth_date=datetime.date(2024, 5, 1),
        orgunit=OrgUnit.objects.get(code=VILLAGE_A1),
        actor="test",
        mother=mother,
    )
    stat = client_as("statistician", TOWNSHIP_A, name="a")
    page = stat.get(f"/changes/{birth.pk}/")
    assert [(f["rule"], f["severity"]) for f in page.context["findings"]] == [
        ("Q-FAM-MOTHER-AGE-UNUSUAL", "warning"),
        ("Q-REQ-ID-NUMBER", "warning"),  # over a year old and no identity number yet
    ]
    assert page.context["has_warnings"] is True
    assert 'name="warnings_reason"' in page.content.decode()
    refused = stat.post(f"/changes/{birth.pk}/decide/", {"decision": "apply"}, follow=True)
    assert Event.objects.get(pk=birth.pk).status == "submitted"
    assert "51" in refused.content.decode()  # the warning's message, with the mother's age
    stat.post(
        f"/changes/{birth.pk}/decide/",
        {"decision": "apply", "warnings_reason": "出生医学证明核实"},
    )
    assert Event.objects.get(pk=birth.pk).status == "applied"
    child = Person.objects.get(name="孙小妹")
    confirmed = Confirmation.objects.filter(person=child)
    assert {c.rule for c in confirmed} == {"Q-FAM-MOTHER-AGE-UNUSUAL", "Q-REQ-ID-NUMBER"}
    assert {c.reason for c in confirmed} == {"出生医学证明核实"}


def test_check_button_shows_the_findings_before_filing(old_people: dict[str, Any]) -> None:
    p6 = old_people["P6"]
    reporter = client_as("reporter", VILLAGE_A1)
    form = reporter.get("/changes/new/birth/").context["form"]
    page = reporter.post(
        "/changes/new/birth/",
        {
            "token": form["token"].value(),
            "village": VILLAGE_A1,
            "effective_date": "2024-05-01",
            "name": "赵小宝",
            "sex": "M",
            "mother": p6.pk,
            "check": "1",
        },
    )
    assert "Q-FAM-MOTHER-AGE" in {f["rule"] for f in page.context["findings"]}
    assert not Event.objects.filter(kind="birth", status="submitted").exists()
