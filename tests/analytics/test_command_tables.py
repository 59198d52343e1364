"""``renkou indicators --table pyramid|married_women`` as json and csv, and the sex ratio
setting from the command line (listed, changed, audited, refused when it cannot hold)."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.core.management import CommandError, call_command

from renkou.core.models import AuditLog
from tests.analytics.hand_register import A1, hand_register
from tests.shared import shared_register

pytestmark = pytest.mark.django_db

register_built, register = shared_register(lambda base: hand_register(base / "load"))

# A1 registered at the end of 2024 (worked out in tests/analytics/test_indicators.py): boys
# C1 T1 (0–4), O2 (5–9); girls C2 T2 (0–4), M1 M2 (30–34), M3 (35–39), G1 (60–64).
MEN = {"0–4": 2, "5–9": 1}
WOMEN = {"0–4": 2, "30–34": 2, "35–39": 1, "60–64": 1}


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("indicators", *args, stdout=out)
    return out.getvalue()


def test_the_pyramid_as_json_and_csv(register):
    record = json.loads(
        run("--orgunit", A1, "--period", "2024", "--table", "pyramid", "--format", "json")
    )
    assert (record["table"], record["orgunit"], record["period"]) == ("pyramid", A1, "2024")
    rows = record["rows"]
    assert len(rows) == 21 and rows[0]["age_group"] == "0–4" and rows[-1]["age_group"] == "100+"
    assert {r["age_group"]: r["men"] for r in rows if r["men"]} == MEN
    assert {r["age_group"]: r["women"] for r in rows if r["women"]} == WOMEN
    text = run("--orgunit", A1, "--period", "2024", "--table", "pyramid", "--format", "csv")
    table = list(csv.DictReader(io.StringIO(text)))
    assert list(table[0]) == ["age_group", "men", "women"]
    assert {r["age_group"]: int(r["women"]) for r in table if r["women"] != "0"} == WOMEN


def test_married_women_by_living_children_as_json_and_csv(register):
    record = json.loads(
        run("--orgunit", A1, "--period", "2024", "--table", "married_women", "--format", "json")
    )
    # end of 2024 in A1: M1 (one child), M2 (two), M3 (the twins): none, 1, 2, 0 by bucket
    assert [(r["living_children"], r["women"]) for r in record["rows"]] == [
        ("0", 0),
        ("1", 1),
        ("2", 2),
        ("3+", 0),
    ]
    text = run(
        "--orgunit",
        A1,
        "--period",
        "2024",
        "--table",
        "married_women",
        "--format",
        "csv",
        "--language",
        "en",
    )
    table = list(csv.DictReader(io.StringIO(text)))
    assert [(r["living_children"], r["label"], r["women"]) for r in table] == [
        ("0", "None", "0"),
        ("1", "One", "1"),
        ("2", "Two", "2"),
        ("3+", "Three or more", "0"),
    ]


def test_the_sex_ratio_setting_is_listed_changed_and_audited(db):
    listed = json.loads(run("--srb-settings", "--format", "json"))
    assert listed == [
        {
            "valid_from": "1900-01-01",
            "normal_low": 103.0,
            "normal_high": 107.0,
            "weights": "Y-3..Y-1=40,Y=60",
        }
    ]
    out = json.loads(
        run(
            "--srb-set",
            "--valid-from",
            "2016-01-01",
            "--weights",
            "Y-2..Y-1=30,Y=70",
            "--reason",
            "县考评方案",
            "--format",
            "json",
        )
    )
    assert out[-1] == {
        "valid_from": "2016-01-01",
        "normal_low": 103.0,  # the band as it was
        "normal_high": 107.0,
        "weights": "Y-2..Y-1=30,Y=70",
    }
    run("--srb-set", "--valid-from", "2020-01-01", "--band", "102-108", "--reason", "新标准")
    latest = json.loads(run("--srb-settings", "--format", "json"))[-1]
    assert (latest["normal_low"], latest["normal_high"]) == (102.0, 108.0)
    assert latest["weights"] == "Y-2..Y-1=30,Y=70"  # the weights as they were
    audits = AuditLog.objects.filter(action="statistics.srb_setting").order_by("id")
    assert [a.reason for a in audits] == ["县考评方案", "新标准"]


@pytest.mark.parametrize(
    "args",
    [
        ["--weights", "Y-3..Y-1=40,Y=50"],
        ["--band", "110-100"],
        ["--band", "abc"],
        [],  # no reason
    ],
)
def test_a_setting_that_cannot_hold_is_refused_and_nothing_is_stored(db, args):
    reason = ["--reason", "x"] if args else []
    with pytest.raises(CommandError):
        run("--srb-set", "--valid-from", "2016-01-01", *args, *reason)
    assert not AuditLog.objects.filter(action="statistics.srb_setting").exists()
