"""Births by the mother's name (probabilistic, twins left to a person) and the linkage
models kept per roster kind, on a synthetic county."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone, translation

from renkou.core.models import AuditLog
from renkou.exchange.evidence import evidence_lines
from renkou.exchange.linking import roster_link
from renkou.exchange.models import LinkageModel, Outcome, RosterImport
from renkou.exchange.services import roster_import
from renkou.orgunits.models import OrgUnit
from renkou.registry import services
from renkou.registry.loading import registry_load
from renkou.registry.models import Person
from renkou.synth.county import generate
from renkou.synth.rosters import write_rosters

pytestmark = pytest.mark.django_db
END = date(2025, 6, 30)
FIELDS = {"mother_name", "mother_surname", "name", "birth_date", "sex"}


@pytest.fixture
def rosters(tmp_path: Path) -> Path:
    county = tmp_path / "county"
    generate(persons=4000, years=2, seed=5, out=county, end=END, fmt="csv")
    registry_load(path=county, actor="test", today=END)
    write_rosters(county, tmp_path / "rosters", seed=5, missing_id=0.4)
    return tmp_path / "rosters"


def _import(path: Path, kind: str = "hospital_births") -> RosterImport:
    top = OrgUnit.objects.filter(parent__isnull=True).get()
    return roster_import(path=path, kind=kind, orgunit=top, actor="test", today=END).roster_import


def _truth(rosters: Path, kind: str) -> dict[int, str]:
    return {
        int(r["row"]): r["person_ref"]
        for r in csv.DictReader((rosters / "truth.csv").open(encoding="utf-8"))
        if r["file"] == f"{kind}.csv"
    }


def test_births_by_the_mothers_name_carry_probability_and_evidence(rosters: Path) -> None:
    imp = _import(rosters / "hospital_births.csv")
    roster_link(roster_import=imp, actor="test")
    truth = _truth(rosters, "hospital_births")
    by_name = [r for r in imp.rows.select_related("person") if r.evidence["pass"] == "mother_name"]
    assert len(by_name) > 30
    found = [r for r in by_name if r.outcome != Outcome.MISSING]
    assert all(r.probability is not None and set(r.evidence["weights"]) == FIELDS for r in found)
    automatic = [r for r in found if r.outcome in (Outcome.MATCHED, Outcome.CONFLICTS)]
    right = sum(1 for r in automatic if r.person.person_ref == truth[r.row_number])
    assert right / len(automatic) >= 0.99
    assert right / sum(1 for r in by_name if truth[r.row_number]) >= 0.95
    assert all(r.probability >= 0.99 for r in automatic)
    with translation.override("en"):
        lines = {line.field: line for line in evidence_lines(automatic[0].evidence, imp.kind)}
    assert (
        lines["Mother's name"].direction == "for"
        and "times likelier" in lines["Mother's name"].text
    )
    assert imp.linkage_model["passes"] == ["exact", "mother_name"]
    kept = LinkageModel.objects.get(kind="hospital_births", stage="mother_name")
    assert imp.linkage_model["kept"] == kept.pk and kept.roster_import == imp


def _probabilities(model: dict) -> list[tuple[float | None, float | None]]:
    return [
        (level.get("m_probability"), level.get("u_probability"))
        for comparison in model["comparisons"]
        for level in comparison["comparison_levels"]
    ]


def _twins(tmp_path: Path) -> tuple[Person, list[Person]]:
    """A register mother who has same-sex twins, born on a day no other child was born."""
    born = date(2025, 5, 17)
    assert not Person.objects.filter(birth_date=born).exists()
    mother = Person.objects.filter(sex="F", status="alive", birth_date__year=1995).first()
    village = mother.residence_orgunit
    twins = []
    for name in ("大宝", "二宝"):
        event = services.birth_submit(
            name=mother.name[0] + name,
            sex="M",
            birth_date=born,
            orgunit=village,
            mother=mother,
            actor="test",
            report_date=born + timedelta(days=3),
        )
        services.event_apply(event=event, actor="test", warnings_reason="测试数据")
        twins.append(Person.objects.get(mother=mother, name=mother.name[0] + name))
    return mother, twins


def test_twins_are_left_to_a_person_unless_named_and_kept_models_are_reused(
    rosters: Path, tmp_path: Path
) -> None:
    first = _import(rosters / "hospital_births.csv")
    roster_link(roster_import=first, actor="test")
    kept = LinkageModel.objects.get(kind="hospital_births", stage="mother_name")
    mother, twins = _twins(tmp_path)
    path = tmp_path / "twins.csv"
    path.write_text(
        "婴儿性别,出生日期,婴儿姓名,母亲姓名,母亲身份证号\n"
        f"男,2025-05-17,,{mother.name},\n"
        f"男,2025-05-17,{twins[1].name},{mother.name},\n",
        encoding="utf-8",
    )
    imp = _import(path)
    roster_link(roster_import=imp, actor="test")
    rows = {r.row_number: r for r in imp.rows.all()}
    assert rows[2].outcome == Outcome.POSSIBLE and rows[2].evidence["note"] == "rivals"
    assert rows[2].person_id in {t.pk for t in twins} and rows[2].probability >= 0.5
    assert rows[3].outcome == Outcome.MATCHED and rows[3].person_id == twins[1].pk
    # The second import reused the model kept from the first, and saved it with itself.
    assert imp.linkage_model["reused"] == kept.pk
    assert _probabilities(imp.linkage_model["splink"]) == _probabilities(kept.splink)
    assert LinkageModel.objects.get(pk=kept.pk).roster_import == first

    # Trained afresh on two rows, a model is used for them but not kept for the kind.
    call_command("exchange", "link", str(imp.pk), "--retrain", stdout=io.StringIO())
    imp.refresh_from_db()
    assert "reused" not in imp.linkage_model and "kept" not in imp.linkage_model
    assert LinkageModel.objects.get(pk=kept.pk).roster_import == first

    # Asked to, the link of a real roster trains afresh and keeps the new model.
    call_command("exchange", "link", str(first.pk), "--retrain", stdout=io.StringIO())
    first.refresh_from_db()
    assert first.linkage_model["kept"] == kept.pk and "reused" not in first.linkage_model
    assert AuditLog.objects.filter(action="exchange.linkage_model.train").count() == 2

    # A model older than the configured age is not reused.
    LinkageModel.objects.filter(pk=kept.pk).update(trained_at=timezone.now() - timedelta(days=400))
    roster_link(roster_import=imp, actor="test")
    imp.refresh_from_db()
    assert "reused" not in imp.linkage_model


def test_a_kept_model_is_not_reused_when_the_register_changed_a_lot(
    rosters: Path, settings
) -> None:
    imp = _import(rosters / "school_enrolment.csv", "school_enrolment")
    roster_link(roster_import=imp, actor="test")
    kept = LinkageModel.objects.get(kind="school_enrolment", stage="probabilistic")
    roster_link(roster_import=imp, actor="test")
    imp.refresh_from_db()
    assert imp.linkage_model["reused"] == kept.pk
    LinkageModel.objects.filter(pk=kept.pk).update(register_size=kept.register_size * 2)
    roster_link(roster_import=imp, actor="test")
    imp.refresh_from_db()
    assert imp.linkage_model["kept"] == kept.pk
    settings.RENKOU_LINKAGE_MODEL_MAX_AGE_DAYS = 0
    roster_link(roster_import=imp, actor="test")
    imp.refresh_from_db()
    assert "reused" not in imp.linkage_model


def test_a_pushed_birth_without_the_mothers_number_is_linked_by_her_name_in_the_background(
    rosters: Path, django_capture_on_commit_callbacks
) -> None:
    from django.test import Client

    from renkou.exchange.models import PushNotification
    from renkou.exchange.push import sender_create
    from renkou.exchange.tasks import pushed_births_link_task

    top = OrgUnit.objects.filter(parent__isnull=True).get()
    _sender, token = sender_create(code="H9", name="县医院", orgunit=top, actor="test")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_ACCEPT_LANGUAGE="en")
    child = (
        Person.objects.filter(mother__isnull=False, birth_date__year=2025)
        .select_related("mother")
        .order_by("pk")
        .first()
    )
    assert child is not None

    def push(ref: str) -> Any:
        body = {
            "id": ref,
            "kind": "birth",
            "sex": "男" if child.sex == "M" else "女",
            "birth_date": child.birth_date.isoformat(),
            "name": child.name,
            "mother_name": child.mother.name,
        }
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            response = client.post(
                "/api/notifications/", json.dumps(body), content_type="application/json"
            )
        assert response.status_code == 201 and len(callbacks) == 1
        row = PushNotification.objects.get(sender_ref=ref).row
        assert row.outcome == Outcome.PENDING  # no number: not linked in the request
        return row

    # No model kept for the unit yet: the row waits for the roster's "Link again".
    row = push("B-1")
    assert pushed_births_link_task.call(row.roster_import_id) == {
        "linked": 0,
        "note": "no_kept_model",
    }
    # Once a roster of the unit has been linked, its kept model links pushed births.
    roster_link(roster_import=_import(rosters / "hospital_births.csv"), actor="test")
    result = pushed_births_link_task.call(row.roster_import_id)
    assert result["linked"] == 1
    row.refresh_from_db()
    assert row.outcome == Outcome.MATCHED and row.person_id == child.pk
    assert row.evidence["pass"] == "mother_name" and row.probability >= 0.99
