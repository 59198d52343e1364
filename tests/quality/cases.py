"""A register with one or more records breaking each rule, built directly in the database.

Tests may write rows directly (the loader and the services refuse most of these records,
which is the point: the rules must still find them in data that came in some other way).
``build()`` returns persons by label and the exact rule codes each one must be flagged by.
"""

from __future__ import annotations

import datetime
from typing import Any

from renkou.core import crypto
from renkou.orgunits.models import OrgUnit
from renkou.registry.models import Event, Household, Person
from renkou.registry.services import protected_id_fields
from tests.builders import COUNTY, ORGUNITS, TOWNSHIP_A, VILLAGE_A1, VILLAGE_A2, id_number

AS_OF = datetime.date(2025, 6, 30)
CLOSED_VILLAGE = "330122100299"
D = datetime.date.fromisoformat


def orgunits() -> None:
    """The test tree plus a village merged away at the end of 2019."""
    for row in ORGUNITS:
        OrgUnit.objects.get_or_create(
            code=row["code"],
            defaults={
                "name": row["name"],
                "level": {2: 1, 4: 2, 6: 3, 9: 4, 12: 5}[len(row["code"])],
                "parent_id": row["parent_code"] or None,
            },
        )
    OrgUnit.objects.get_or_create(
        code=CLOSED_VILLAGE,
        defaults={
            "name": "旧村",
            "level": 5,
            "parent_id": TOWNSHIP_A,
            "valid_to": datetime.date(2019, 12, 31),
        },
    )


# Sequence digits of the cases' identity numbers: distinct within one build, and started
# afresh by each build (one test process may build the cases many times).
_SEQ = range(100, 999, 2)
_seq = iter(_SEQ)


def person(
    name: str,
    sex: str,
    birth: str,
    *,
    with_id: bool = True,
    number: str | None = None,
    **fields: Any,
) -> Person:
    """A person row written directly, living and registered in village A1 unless told."""
    if with_id and number is None:
        number = id_number(birth, next(_seq) + (1 if sex == "M" else 0))
    values: dict[str, Any] = {
        "name": name,
        "sex": sex,
        "birth_date": D(birth),
        "ethnicity": "01",
        "hukou_orgunit_id": VILLAGE_A1,
        "hukou_type": "rural",
        "residence_orgunit_id": VILLAGE_A1,
        "marital_status": "single",
        **protected_id_fields(number or ""),
    }
    values.update(fields)
    return Person.objects.create(**values)


def event(p: Person, kind: str, day: str, *, reported: str | None = None, unit: str = VILLAGE_A1):
    """An applied event of ``p``."""
    return Event.objects.create(
        kind=kind,
        status="applied",
        person=p,
        orgunit_id=unit,
        effective_date=D(day),
        report_date=D(reported or day),
        source="village",
    )


def build() -> tuple[dict[str, Person], dict[str, set[str]]]:
    """Persons by label and the rule codes each must be flagged by (nothing for the rest)."""
    global _seq
    _seq = iter(_SEQ)
    orgunits()
    p: dict[str, Person] = {}
    expect: dict[str, set[str]] = {}

    def add(label: str, person_: Person, *codes: str) -> Person:
        p[label] = person_
        expect[label] = set(codes)
        return person_

    # A clean family: head, spouse, two children spaced and ordered right.
    home = Household.objects.create(number="H-OK", orgunit_id=VILLAGE_A1)
    dad = add(
        "dad",
        person(
            "张伟",
            "M",
            "1988-03-05",
            marital_status="married",
            household=home,
            relation_to_head="head",
        ),
    )
    mum = add(
        "mum",
        person(
            "李丽",
            "F",
            "1990-07-20",
            marital_status="married",
            household=home,
            relation_to_head="spouse",
        ),
    )
    add(
        "kid1",
        person(
            "张一",
            "M",
            "2015-01-15",
            mother=mum,
            father=dad,
            birth_order=1,
            household=home,
            relation_to_head="child",
        ),
    )
    add(
        "kid2",
        person(
            "张二",
            "F",
            "2018-04-01",
            mother=mum,
            father=dad,
            birth_order=2,
            household=home,
            relation_to_head="child",
        ),
    )
    event(dad, "marriage", "2014-05-01")
    event(mum, "marriage", "2014-05-01")

    # Identity numbers.
    twin_number = id_number("1970-01-01", 555)
    add("dup_a", person("甲", "M", "1970-01-01", number=twin_number), "Q-ID-DUPLICATE")
    add("dup_b", person("乙", "M", "1970-01-01", number=twin_number), "Q-ID-DUPLICATE")
    add(
        "no_id_adult",
        person("丙", "F", "1980-02-02", with_id=False),
        "Q-ID-MISSING-ADULT",
        "Q-REQ-ID-NUMBER",
    )
    bad_check = id_number("1981-03-03", 301)[:17] + "0"
    if bad_check == id_number("1981-03-03", 301):
        bad_check = bad_check[:17] + "1"
    add("checksum", person("丁", "M", "1981-03-03", number=bad_check), "Q-ID-CHECKSUM")
    add("format", person("戊", "M", "1981-03-03", number="33012219810303A01X"), "Q-ID-FORMAT")
    add(
        "id_birth",
        person("己", "M", "1981-03-04", number=id_number("1981-03-03", 303)),
        "Q-ID-BIRTH-DATE",
    )
    add("id_sex", person("庚", "F", "1981-03-03", number=id_number("1981-03-03", 305)), "Q-ID-SEX")
    add(
        "id_region",
        person("辛", "M", "1981-03-03", number=id_number("1981-03-03", 307, "999999")),
        "Q-ID-REGION",
    )
    unreadable = add("unreadable", person("壬", "M", "1981-03-03"), "Q-ID-UNREADABLE")
    Person.objects.filter(pk=unreadable.pk).update(id_number_enc="k9$bm90LWEtdG9rZW4")
    unreadable.refresh_from_db()

    # Dates and status.
    add("born_future", person("癸", "M", "2026-01-01", with_id=False), "Q-DATE-BIRTH-FUTURE")
    add(
        "died_future",
        person("子", "M", "1950-01-01", status="dead", death_date=D("2026-01-01")),
        "Q-DATE-DEATH-FUTURE",
    )
    add(
        "death_before_birth",
        person("丑", "M", "1950-01-01", status="dead", death_date=D("1949-01-01")),
        "Q-DATE-DEATH-BEFORE-BIRTH",
    )
    add("dead_no_date", person("寅", "M", "1950-01-01", status="dead"), "Q-STATUS-DEAD-NO-DATE")
    add(
        "date_not_dead",
        person("卯", "M", "1950-01-01", death_date=D("2020-01-01")),
        "Q-STATUS-DATE-NOT-DEAD",
    )
    add("old", person("辰", "F", "1910-01-01", marital_status="widowed"), "Q-AGE-OVER-110")
    add("too_old", person("巳", "F", "1880-01-01", marital_status="widowed"), "Q-AGE-IMPOSSIBLE")

    # Events.
    ghost = add(
        "event_after_death",
        person("午", "M", "1950-01-01", status="dead", death_date=D("2023-01-01")),
        "Q-EVENT-AFTER-DEATH",
    )
    event(ghost, "death", "2023-01-01")
    event(ghost, "move_in", "2024-02-01")
    early = add("event_before_birth", person("未", "M", "2000-01-01"), "Q-EVENT-BEFORE-BIRTH")
    event(early, "move_in", "1999-06-01")
    hasty = add("reported_before", person("申", "M", "2000-01-01"), "Q-EVENT-REPORTED-BEFORE")
    event(hasty, "move_in", "2024-03-01", reported="2024-02-01")
    stray = add("event_unit", person("酉", "M", "2000-01-01"), "Q-EVENT-UNIT-INVALID")
    event(stray, "move_in", "2024-03-01", unit=TOWNSHIP_A)
    merged = add("event_closed_unit", person("戌", "M", "2000-01-01"), "Q-EVENT-UNIT-INVALID")
    event(merged, "move_in", "2021-03-01", unit=CLOSED_VILLAGE)

    # Family.
    young = add("young_mother", person("亥", "F", "2005-01-01"))
    add(
        "child_of_young",
        person("小一", "M", "2015-06-01", mother=young, birth_order=1),
        "Q-FAM-MOTHER-AGE",
    )
    late_mum = add("late_mother", person("晚母", "F", "1995-01-01", marital_status="married"))
    add("before_mother", person("小二", "M", "1990-01-01", mother=late_mum), "Q-FAM-BEFORE-MOTHER")
    older = add("older_mother", person("老母", "F", "1965-01-01", marital_status="married"))
    add(
        "child_of_older",
        person("小三", "F", "2017-06-01", mother=older, birth_order=1),
        "Q-FAM-MOTHER-AGE-UNUSUAL",
    )
    boy = add("boy_father", person("少父", "M", "2005-01-01"))
    add("child_of_boy", person("小四", "M", "2020-01-01", father=boy), "Q-FAM-FATHER-AGE")
    late_dad = add("late_father", person("晚父", "M", "1995-01-01", marital_status="married"))
    add("before_father", person("小五", "M", "1980-01-01", father=late_dad), "Q-FAM-BEFORE-FATHER")
    add("male_mother", person("小六", "M", "2020-01-01", mother=dad), "Q-FAM-MOTHER-SEX")
    add("female_father", person("小七", "M", "2020-01-01", father=mum), "Q-FAM-FATHER-SEX")
    own = add(
        "own_parent", person("小八", "M", "2000-01-01"), "Q-FAM-OWN-PARENT", "Q-FAM-BEFORE-FATHER"
    )
    Person.objects.filter(pk=own.pk).update(father=own)
    own.refresh_from_db()
    gone_mum = add(
        "dead_mother",
        person(
            "亡母",
            "F",
            "1980-01-01",
            status="dead",
            marital_status="married",
            death_date=D("2010-01-01"),
        ),
    )
    add(
        "after_mother_died",
        person("小九", "F", "2012-01-01", mother=gone_mum, birth_order=1, with_id=True),
        "Q-FAM-MOTHER-DEAD",
    )
    gone_dad = add(
        "dead_father",
        person(
            "亡父",
            "M",
            "1975-01-01",
            status="dead",
            marital_status="married",
            death_date=D("2010-01-01"),
        ),
    )
    add(
        "long_after_father_died",
        person("小十", "F", "2012-01-01", father=gone_dad),
        "Q-FAM-FATHER-DEAD",
    )

    # Parity and spacing: one mother per case.
    m1 = add("mother_parity", person("母一", "F", "1985-01-01", marital_status="married"))
    add(
        "p_first", person("甲一", "M", "2010-01-01", mother=m1, birth_order=1), "Q-PARITY-DUPLICATE"
    )
    add(
        "p_again",
        person("甲二", "M", "2013-01-01", mother=m1, birth_order=1),
        "Q-PARITY-TOO-LOW",
        "Q-PARITY-DUPLICATE",
    )
    m2 = add("mother_gap", person("母二", "F", "1985-01-01", marital_status="married"))
    add("g_first", person("乙一", "M", "2010-01-01", mother=m2, birth_order=1))
    add("g_third", person("乙三", "M", "2014-01-01", mother=m2, birth_order=3), "Q-PARITY-GAP")
    m3 = add("mother_spacing", person("母三", "F", "1985-01-01", marital_status="married"))
    add("s_first", person("丙一", "M", "2010-01-01", mother=m3, birth_order=1))
    add("s_second", person("丙二", "M", "2010-03-01", mother=m3, birth_order=2), "Q-BIRTH-SPACING")
    add(
        "s_third",
        person("丙三", "M", "2010-10-01", mother=m3, birth_order=3),
        "Q-BIRTH-SPACING-SHORT",
    )
    m4 = add("mother_twins", person("母四", "F", "1985-01-01", marital_status="married"))
    add("t_a", person("丁一", "M", "2025-01-01", mother=m4, birth_order=1, with_id=False))
    add("t_b", person("丁二", "F", "2025-01-02", mother=m4, birth_order=2, with_id=False))
    m5 = add("mother_dup", person("母五", "F", "1985-01-01", marital_status="married"))
    add(
        "twice_a",
        person("戊一", "M", "2025-03-01", mother=m5, birth_order=1, with_id=False),
        "Q-DUP-NO-ID",
    )
    add(
        "twice_b",
        person("戊一", "M", "2025-03-01", mother=m5, birth_order=1, with_id=False),
        "Q-DUP-NO-ID",
    )

    # Marital.
    add(
        "married_young",
        person("早婚", "F", "2007-01-01", marital_status="married"),
        "Q-MAR-UNDER-AGE",
    )
    groom = add(
        "married_young_event",
        person("少婚", "M", "1995-01-01", marital_status="married"),
        "Q-MAR-UNDER-AGE",
    )
    event(groom, "marriage", "2015-06-01")
    bigamist = add(
        "married_twice", person("重婚", "M", "1970-01-01", marital_status="married"), "Q-MAR-TWICE"
    )
    event(bigamist, "marriage", "1995-01-01")
    event(bigamist, "marriage", "2005-01-01")
    again = add("remarried", person("再婚", "M", "1970-01-01", marital_status="married"))
    event(again, "marriage", "1995-01-01")
    event(again, "divorce", "2000-01-01")
    event(again, "marriage", "2005-01-01")

    # Places.
    add(
        "res_closed",
        person("旧居", "M", "1970-01-01", residence_orgunit_id=CLOSED_VILLAGE),
        "Q-RES-UNIT-CLOSED",
    )
    add(
        "hukou_closed",
        person("旧籍", "M", "1970-01-01", hukou_orgunit_id=CLOSED_VILLAGE),
        "Q-HUKOU-UNIT-CLOSED",
    )
    add(
        "res_township",
        person("乡居", "M", "1970-01-01", residence_orgunit_id=TOWNSHIP_A),
        "Q-RES-NOT-VILLAGE",
    )
    add("hukou_township", person("乡籍", "M", "1970-01-01", hukou_orgunit_id=TOWNSHIP_A))
    add(
        "res_missing", person("无居", "M", "1970-01-01", residence_orgunit_id=None), "Q-RES-MISSING"
    )
    add(
        "hukou_missing", person("无籍", "M", "1970-01-01", hukou_orgunit_id=None), "Q-HUKOU-MISSING"
    )
    add(
        "elsewhere", person("外地", "M", "1970-01-01", hukou_orgunit_id=None, hukou_region="410102")
    )
    add(
        "region_unknown",
        person("乱码", "M", "1970-01-01", hukou_orgunit_id=None, hukou_region="999999"),
        "Q-PLACE-REGION-UNKNOWN",
    )

    # Households.
    headless = Household.objects.create(number="H-NOHEAD", orgunit_id=VILLAGE_A2)
    add(
        "no_head",
        person("无主", "M", "1970-01-01", household=headless, relation_to_head="spouse"),
        "Q-HH-NO-HEAD",
    )
    crowded = Household.objects.create(number="H-TWO", orgunit_id=VILLAGE_A2)
    add(
        "head_a",
        person("户甲", "M", "1970-01-01", household=crowded, relation_to_head="head"),
        "Q-HH-TWO-HEADS",
    )
    add(
        "head_b",
        person("户乙", "F", "1972-01-01", household=crowded, relation_to_head="head"),
        "Q-HH-TWO-HEADS",
    )

    # Completeness.
    add("no_name", person(" ", "M", "1970-01-01"), "Q-REQ-NAME")
    add(
        "no_sex",
        person("无性", "", "1970-01-01", number=id_number("1970-01-01", 901)),
        "Q-REQ-SEX",
        "Q-ID-SEX",
    )
    add("no_ethnicity", person("无族", "M", "1970-01-01", ethnicity=""), "Q-REQ-ETHNICITY")
    add("no_hukou_type", person("无型", "M", "1970-01-01", hukou_type=""), "Q-REQ-HUKOU-TYPE")
    add("no_marital", person("无婚", "M", "1970-01-01", marital_status=""), "Q-REQ-MARITAL")
    add("no_relation", person("无关", "M", "1970-01-01", household=home), "Q-REQ-RELATION")
    return p, expect


def decrypt_check() -> None:
    """The tampered token really does not decrypt (guards the ``unreadable`` case)."""
    try:
        crypto.decrypt("k9$bm90LWEtdG9rZW4")
    except crypto.DecryptionError:
        return
    raise AssertionError("token decrypted")


__all__ = ["AS_OF", "COUNTY", "build"]
