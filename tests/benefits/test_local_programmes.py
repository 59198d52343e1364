"""A local programme defined in YAML (issue 18, item 5): a whole cycle on it, and the
definitions refused with file, line, key and reason."""

from __future__ import annotations

import csv
import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import translation

from renkou.benefits import local
from renkou.benefits.choices import programme_choices
from renkou.benefits.payees import payee_rule
from renkou.benefits.payments import batch_create
from renkou.benefits.reasons import deciding, render_all
from renkou.benefits.services import (
    CycleError,
    bank_account_set,
    cycle_approve,
    cycle_compute,
    cycle_notice,
)
from renkou.orgunits.models import OrgUnit
from renkou.registry.models import Person
from tests.benefits.test_truth_tables import County
from tests.builders import COUNTY, TOWNSHIP_B, VILLAGE_B1, user_with_role

pytestmark = pytest.mark.django_db
D = datetime.date

# 城镇独生子女父母一次性奖励: urban holders of an only-child certificate, once they are 60,
# receive a one-off reward (3000 yuan, 5000 from July 2024), only in township A
URBAN_REWARD = """\
code: urban_oc_reward
labels:
  zh: 城镇独生子女父母一次性奖励
  en: Urban only-child parents' one-off reward
payee: certificate_holder
period: once
from: 2024-01-01
amount:
  - {from: 2024-01-01, amount: 3000}
  - {from: 2024-07-01, amount: 5000}
areas: ["330122100"]
conditions:
  - certificate
  - hukou: {type: urban}
  - age_between: {min: 60}
  - alive
"""


@pytest.fixture
def programmes(tmp_path):
    folder = tmp_path / "programmes"
    folder.mkdir()
    (folder / "urban_reward.yaml").write_text(URBAN_REWARD, encoding="utf-8")
    yield local.reload(folder)
    local.reload(tmp_path / "none")  # no folder: no local programme


# holder ref → (sex, birth, registration type, certificate revoked on, village)
HOLDERS = {
    "UA": ("F", "1963-03-15", "urban", None, None),  # 60 in 2023: from January
    "UB": ("M", "1964-09-10", "urban", None, None),  # 60 on 2024-09-10: from October
    "UC": ("F", "1960-01-01", "rural", None, None),  # rural
    "UD": ("M", "1970-05-05", "urban", None, None),  # 54
    "UE": ("F", "1960-02-02", "urban", None, VILLAGE_B1),  # township B: not in the area
    "UF": ("M", "1961-06-06", "urban", D(2020, 1, 1), None),  # certificate revoked
    "UG": ("F", "1959-07-07", "", None, None),  # registration type unknown
}


def load(directory: Path) -> None:
    county = County()
    for ref, (sex, birth, hukou, revoked, village) in HOLDERS.items():
        where = {"hukou_code": village, "residence_code": village} if village else {}
        county.add(ref, sex, birth, hukou_type=hukou, **where)
        link = {"mother_ref": ref} if sex == "F" else {"father_ref": ref}
        county.add(ref + "C", "M", "1990-01-01", **link, **where)
        county.certificates.append((ref, ref + "C", D(1991, 1, 1), revoked))
    county.add("NH", "F", "1960-01-01", hukou_type="urban")  # no certificate: no candidate
    county.load(directory)


def expected_2024() -> dict[str, tuple[str, str, str | None]]:
    """(outcome, amount, failing condition) per holder, worked out from the table above."""
    out: dict[str, tuple[str, str, str | None]] = {}
    for ref, (_sex, birth, hukou, revoked, village) in HOLDERS.items():
        if village:
            continue
        born = D.fromisoformat(birth)
        sixty = D(born.year + 60, born.month, born.day)
        first_month = D(2024, 1, 1) if sixty <= D(2024, 1, 1) else None
        if first_month is None and sixty <= D(2024, 12, 1):
            month = sixty.month + (sixty.day > 1)
            first_month = D(2024, month, 1) if month <= 12 else None
        if revoked is not None:
            out[ref] = ("not_eligible", "0.00", "certificate")
        elif hukou == "rural":
            out[ref] = ("not_eligible", "0.00", "urban")
        elif first_month is None:
            out[ref] = ("not_eligible", "0.00", "age_between")
        elif hukou == "":
            out[ref] = ("undecided", "0.00", None)
        else:
            amount = "3000.00" if first_month < D(2024, 7, 1) else "5000.00"
            out[ref] = ("eligible", amount, None)
    return out


def test_whole_cycle_on_a_yaml_programme(programmes, tmp_path, django_capture_on_commit_callbacks):
    assert list(programmes) == ["urban_oc_reward"]
    with translation.override("zh-hans"):
        assert ("urban_oc_reward", "城镇独生子女父母一次性奖励") in programme_choices()
    with translation.override("en"):
        assert payee_rule("urban_oc_reward") == "paid to the holder of the only-child certificate"
    load(tmp_path / "county")
    clerk = user_with_role("clerk", "county_admin", COUNTY)
    head = user_with_role("head", "county_admin", COUNTY)
    county = OrgUnit.objects.get(code=COUNTY)
    with pytest.raises(CycleError, match="330122100"):
        cycle_compute(
            programme="urban_oc_reward",
            year=2024,
            orgunit=OrgUnit.objects.get(code=TOWNSHIP_B),
            actor=clerk,
        )
    cycle = cycle_compute(programme="urban_oc_reward", year=2024, orgunit=county, actor=clerk)
    with translation.override("en"):
        assert cycle.get_programme_display() == "Urban only-child parents' one-off reward"
    got = {
        d.person.person_ref: (
            d.outcome,
            str(d.amount),
            (deciding(d.reasons) or {}).get("code"),
        )
        for d in cycle.decisions.select_related("person")
    }
    assert got == expected_2024()
    undecided = cycle.decisions.get(person__person_ref="UG")
    ua = cycle.decisions.get(person__person_ref="UA")
    with translation.override("en"):
        assert render_all(ua.reasons) == (
            "only-child certificate issued on 1991-01-01 ✓; urban registration ✓;"
            " reached 60 on 2023-03-15 ✓; alive ✓; not paid before ✓"
        )
    with translation.override("zh-hans"):
        assert "城镇户口 ✓" in render_all(ua.reasons) and "此前未发放 ✓" in render_all(ua.reasons)
    assert [i["code"] for i in undecided.reasons if i["status"] == -1] == ["urban"]
    cycle_notice(cycle=cycle, start=D(2024, 3, 1), days=7, actor=clerk, today=D(2024, 3, 1))
    cycle_approve(cycle=cycle, actor=head, today=D(2024, 3, 8))
    for ref, account in (("UA", "6230000011112222"), ("UB", "6210000033334444")):
        bank_account_set(
            person=Person.objects.get(person_ref=ref), bank="农商银行", account=account, actor=clerk
        )
    with django_capture_on_commit_callbacks(execute=True):
        batch = batch_create(cycle=cycle, path=tmp_path / "pay.csv", actor=clerk)
    assert (batch.lines, batch.total) == (2, Decimal("8000.00"))
    with (tmp_path / "pay.csv").open(encoding="utf-8-sig") as fh:
        paid = {r["账号"]: r["金额"] for r in csv.DictReader(fh)}  # 直通车 columns
    assert paid == {"6230000011112222": "3000.00", "6210000033334444": "5000.00"}
    # once: a person paid (or owed) once is never eligible again, in later years
    later = cycle_compute(programme="urban_oc_reward", year=2025, orgunit=county, actor=clerk)
    again = {d.person.person_ref: d for d in later.decisions.select_related("person")}
    for ref, month in (("UA", "2024-01-01"), ("UB", "2024-10-01")):
        d = again[ref]
        assert (d.outcome, d.amount, deciding(d.reasons)) == (
            "not_eligible",
            Decimal("0.00"),
            {"code": "paid_once", "status": 0, "date": month},
        )
    assert again["UG"].outcome == "undecided"


def _problems(tmp_path: Path, files: dict[str, str]) -> list[tuple[str, int | None, str, str]]:
    folder = tmp_path / "bad"
    folder.mkdir(exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    with pytest.raises(local.LocalProgrammeError) as info, translation.override("en"):
        local.reload(folder)
    with translation.override("en"):
        return [(p.file, p.line, p.key, p.text()) for p in info.value.problems]


def test_definitions_refused_with_file_line_key_and_reason(programmes, tmp_path):
    bad = URBAN_REWARD.replace("  - alive\n", "  - sterilisation_record\n")
    bad = bad.replace("period: once", "period: weekly").replace(
        "code: urban_oc_reward", "code: only_child"
    )
    problems = _problems(
        tmp_path,
        {
            "a.yaml": bad,
            "b.yaml": "code: [unclosed\n",
            "c.yaml": "code: a_very_long_programme_code_x\nlabels: {zh: 名}\nhow: 1\n",
        },
    )
    names = ", ".join(local.CATALOGUE)
    assert problems[:3] == [
        ("a.yaml", 1, "code", "a.yaml, line 1, key code: only_child is a built-in programme"),
        (
            "a.yaml",
            6,
            "period",
            "a.yaml, line 6, key period: one of monthly, yearly, once",
        ),
        (
            "a.yaml",
            16,
            "conditions.3",
            "a.yaml, line 16, key conditions.3: unknown condition sterilisation_record;"
            f" the catalogue: {names}",
        ),
    ]
    assert problems[3][:3] == ("b.yaml", 2, "")
    assert problems[3][3].startswith("b.yaml, line 2, key -: not valid YAML")
    assert [(line, key, text.split(": ", 1)[1]) for _f, line, key, text in problems[4:]] == [
        (3, "how", "unknown key; the keys: " + ", ".join(local.KEYS)),
        *[(None, key, "required") for key in ("payee", "period", "amount", "from", "conditions")],
        (1, "code", "a code is 1 to 20 characters: lower-case letters, digits and _"),
        (2, "labels", "labels are {zh: 中文名称, en: English name}"),
    ]
    # nothing changed: the programme read before is still the one in force
    assert list(local.local_programmes()) == ["urban_oc_reward"]
    # the start-up message names every problem in Chinese, then in English
    with pytest.raises(local.LocalProgrammeError) as info:
        local.read_folder(tmp_path / "bad")
    both = info.value.bilingual()
    assert "未知条件 sterilisation_record" in both and "unknown condition" in both


def test_parameters_of_conditions_checked(programmes, tmp_path):
    text = URBAN_REWARD.replace("hukou: {type: urban}", "hukou: {type: city}").replace(
        "age_between: {min: 60}", "age_between: {min: sixty, upto: 70}"
    )
    problems = _problems(tmp_path, {"d.yaml": text})
    assert [(line, key, t.split(": ", 1)[1]) for _f, line, key, t in problems] == [
        (14, "conditions.1.hukou.type", "one of rural, urban, not city"),
        (15, "conditions.2.age_between.min", "a whole number, not sixty"),
        (
            15,
            "conditions.2.age_between.upto",
            "age_between has no parameter upto; its parameters: min, max",
        ),
    ]


TOP_UP = """\
code: {code}
labels: {{zh: 县级育儿补贴加发, en: County childcare top-up}}
payee: mother_or_father
period: {period}
from: 2025-01-01
amount: {amount}
candidates:
  - age_between: {{max: 3}}
conditions:
  - age_between: {{max: 3}}
  - alive
"""


def test_monthly_and_yearly_programmes_paid_to_mother_or_father(
    tmp_path, django_capture_on_commit_callbacks
):
    folder = tmp_path / "programmes"
    folder.mkdir()
    for code, period, amount in (("topup_m", "monthly", 100), ("topup_y", "yearly", 500)):
        text = TOP_UP.format(code=code, period=period, amount=amount)
        (folder / f"{code}.yaml").write_text(text, encoding="utf-8")
    try:
        local.reload(folder)
        county = County()
        county.add("KM", "F", "1995-01-01")
        county.add("KF", "M", "1990-01-01")
        county.add("K1", "M", "2024-06-15", mother_ref="KM", father_ref="KF")
        county.add("K4", "F", "2024-06-15", mother_ref="KM", father_ref="KF")  # K1's twin
        county.add("K2", "F", "2022-04-10", father_ref="KF")  # 3 on 2025-04-10
        county.add("K3", "M", "2025-03-01")  # no parent linked
        county.load(tmp_path / "county")
        unit = OrgUnit.objects.get(code=COUNTY)
        clerk = user_with_role("clerk", "county_admin", COUNTY)
        head = user_with_role("head", "county_admin", COUNTY)
        got, cycles = {}, {}
        for code in ("topup_m", "topup_y"):
            cycle = cycles[code] = cycle_compute(
                programme=code, year=2025, orgunit=unit, actor=clerk
            )
            got[code] = sorted(
                (d.person.person_ref, d.outcome, str(d.amount), [m for m, _a in d.months])
                for d in cycle.decisions.select_related("person")
            )
        # K1, K4 under 3 all 2025; K2 until April (1 April is before the birthday); K3 has
        # no parent linked. The decision is the child's, the money goes to the mother (else
        # the father).
        months = [f"2025-{m:02d}-01" for m in range(1, 13)]
        assert got["topup_m"] == [
            ("K1", "eligible", "1200.00", months),
            ("K2", "eligible", "400.00", months[:4]),
            ("K3", "undecided", "0.00", []),
            ("K4", "eligible", "1200.00", months),
        ]
        assert got["topup_y"] == [
            ("K1", "eligible", "500.00", months[:1]),
            ("K2", "eligible", "500.00", months[:1]),
            ("K3", "undecided", "0.00", []),
            ("K4", "eligible", "500.00", months[:1]),
        ]
        cycle = cycles["topup_m"]
        today = datetime.date.today()
        cycle_notice(cycle=cycle, start=today, days=7, actor=clerk, today=today)
        cycle_approve(cycle=cycle, actor=head, today=today + datetime.timedelta(days=30))
        for ref, account in (("KM", "6230000011112222"), ("KF", "6210000033334444")):
            bank_account_set(
                person=Person.objects.get(person_ref=ref), bank="银行", account=account, actor=clerk
            )
        with django_capture_on_commit_callbacks(execute=True):
            batch = batch_create(cycle=cycle, path=tmp_path / "pay.csv", actor=clerk)
        with (tmp_path / "pay.csv").open(encoding="utf-8-sig") as fh:
            paid = sorted((r["账号"], r["金额"]) for r in csv.DictReader(fh))
        # the twins' two entitlements both go to the mother's account
        assert paid == [
            ("6210000033334444", "400.00"),
            ("6230000011112222", "1200.00"),
            ("6230000011112222", "1200.00"),
        ]
        assert batch.total == Decimal("2800.00")
    finally:
        local.reload(tmp_path / "none")


def test_start_refused_on_a_bad_definition(tmp_path, settings):
    from django.core.exceptions import ImproperlyConfigured

    from renkou.benefits.apps import _read_local_programmes

    (tmp_path / "programmes").mkdir()
    (tmp_path / "programmes" / "x.yaml").write_text(
        URBAN_REWARD.replace("  - alive\n", "  - age\n"), encoding="utf-8"
    )
    settings.DATA_DIR = tmp_path
    try:
        with pytest.raises(ImproperlyConfigured) as info:
            _read_local_programmes()
        zh, en = str(info.value).split("\n")
        assert zh.startswith("x.yaml，第 16 行，键 conditions.3：未知条件 age；条件目录：alive, ")
        assert en.startswith("x.yaml, line 16, key conditions.3: unknown condition age;")
        (tmp_path / "programmes" / "x.yaml").write_text(URBAN_REWARD, encoding="utf-8")
        _read_local_programmes()
        assert list(local.local_programmes()) == ["urban_oc_reward"]
    finally:
        local.reload(tmp_path / "none")


def test_local_programme_chosen_and_computed_on_the_pages(
    programmes, tmp_path, settings, django_capture_on_commit_callbacks
):
    from django.test import override_settings

    from renkou.benefits.models import Cycle
    from renkou.core.models import Job
    from tests.builders import client_as

    settings.LANGUAGE_CODE = "en"
    load(tmp_path / "county")
    clerk = client_as("county_admin", COUNTY, name="clerk")
    page = clerk.get(f"/benefits/area/{COUNTY}/").content.decode()
    assert '<option value="urban_oc_reward">Urban only-child parents&#x27; one-off reward' in page
    immediate = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    with override_settings(TASKS=immediate), django_capture_on_commit_callbacks(execute=True):
        response = clerk.post(
            f"/benefits/area/{COUNTY}/compute/", {"programme": "urban_oc_reward", "year": "2024"}
        )
    assert response.status_code == 302
    job = Job.objects.get(kind="benefits.compute")
    cycle = Cycle.objects.get()
    outcomes = [o for o, _a, _c in expected_2024().values()]
    assert job.result == {
        "cycle": cycle.pk,
        **{o: outcomes.count(o) for o in ("eligible", "not_eligible", "undecided")},
    }
    page = clerk.get(f"/benefits/cycles/{cycle.pk}/").content.decode()
    assert "Urban only-child parents&#x27; one-off reward · 2024" in page
    assert "paid to the holder of the only-child certificate" in page
    draft = clerk.get(f"/benefits/cycles/{cycle.pk}/decisions/").content.decode()
    assert "urban registration ✓" in draft and "not paid before ✓" in draft
