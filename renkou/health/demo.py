"""The demo county's service records, prepared by ``renkou init`` with the demo users: what
the first township's service staff (``demo.service``) would have recorded over the past
year, so that the rates, the form and the summary have figures and a service worker can
carry a couple's check on from where it stands.

Of the married women aged 20–49 living in the township, about one in four (chosen by a
hash of her identity, so the same county gives the same records) and her husband took the
pre-pregnancy check over the last year: enrolled, examined a week later, assessed (one in
eight high risk, with advice); most were followed up in early pregnancy, and the earlier
ones at the outcome. About one woman in five aged 35–64 was screened, one in twenty of
them positive and referred; couples married in the last year mostly had the premarital
check. The yearly figures (target couples, pregnancies, pregnancies due, target women)
are entered per village as the health system would give them. Everything is written
through the ordinary services, with their audit rows and consents.
"""

from __future__ import annotations

import datetime
import hashlib
from collections import defaultdict
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction

from renkou.health import services
from renkou.health.models import FigureKind, Institution, ServiceRecord
from renkou.orgunits.models import OrgUnit
from renkou.orgunits.scoping import code_prefix_q
from renkou.registry.marriages import spouse_of
from renkou.registry.models import Event, Person

DEMO_SERVICE = "demo.service"
SCOPE = "参加本项服务并保存服务记录，仅用于服务"


@dataclass
class Prepared:
    """What was prepared: records and steps written, per programme."""

    records: dict[str, int]
    steps: int = 0


def _share(person: Person, salt: str) -> float:
    """A number in [0, 1) fixed by the person and ``salt``: the same county, the same choice."""
    digest = hashlib.sha256(f"{salt}:{person.pk}:{person.birth_date}".encode()).digest()
    return int.from_bytes(digest[:4], "big") / 2**32


def _day(today: datetime.date, fraction: float, span: int = 330) -> datetime.date:
    return today - datetime.timedelta(days=30 + int(fraction * span))


@transaction.atomic
def demo_services_prepare(*, county: str, today: datetime.date) -> Prepared:
    """Prepare the service records (see the module's text) once: nothing when the demo
    service worker is missing or the township has service records already."""
    prepared = Prepared(records=defaultdict(int))
    actor = get_user_model().objects.filter(username=DEMO_SERVICE, is_active=True).first()
    township = OrgUnit.objects.filter(parent_id=county).order_by("code").first()
    if actor is None or township is None:
        return prepared
    if ServiceRecord.objects.filter(code_prefix_q("orgunit_id", township.code)).exists():
        return prepared
    mch = services.institution_create(
        code=f"MCH-{county}",
        name=f"{OrgUnit.objects.get(code=county).name}妇幼保健院",
        orgunit=OrgUnit.objects.get(code=county),
        actor=actor,
    )
    centre = services.institution_create(
        code=f"WSY-{township.code}",
        name=f"{township.name}卫生院",
        orgunit=township,
        actor=actor,
    )
    in_township = code_prefix_q("residence_orgunit_id", township.code)
    women = Person.objects.filter(in_township, sex="F", status="alive").order_by("pk")
    # the couples: each marriage applied in the township names the spouse in its payload
    spouses: dict[int, int] = {}
    marriages: dict[int, datetime.date] = {}
    for person_id, payload, on in (
        Event.objects.filter(kind="marriage", status="applied")
        .filter(code_prefix_q("orgunit_id", township.code))
        .values_list("person_id", "payload", "effective_date")
        .iterator(chunk_size=5000)
    ):
        spouse = spouse_of(payload or {})
        if spouse is None:
            continue
        spouses[person_id], spouses[spouse] = spouse, person_id
        if on > today - datetime.timedelta(days=365):
            marriages[person_id] = marriages[spouse] = on
    # couples married before the register's history began: head and spouse of a household
    by_household: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for pk, household, sex in (
        Person.objects.filter(
            in_township,
            status="alive",
            marital_status="married",
            relation_to_head__in=("head", "spouse"),
        )
        .values_list("pk", "household_id", "sex")
        .iterator(chunk_size=5000)
    ):
        if household is not None:
            by_household[household].append((pk, sex))
    for members in by_household.values():
        sexes = dict((sex, pk) for pk, sex in members)
        if len(members) == 2 and set(sexes) == {"F", "M"}:
            spouses.setdefault(sexes["F"], sexes["M"])
    figures: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for woman in women.iterator(chunk_size=2000):
        age = today.year - woman.birth_date.year
        man_id = spouses.get(woman.pk)
        man = Person.objects.filter(pk=man_id, sex="M").first() if man_id else None
        village = figures[woman.residence_orgunit_id]
        # The target women and couples are about three in ten; most of them, and a few
        # outside the target, come for the service (so that an area's coverage is below or
        # near 100 %, as it is where the targets are planned well).
        in_target = _share(woman, "target") < 0.3
        if 35 <= age <= 64:
            village[FigureKind.TARGET_WOMEN] += 1 if in_target else 0
            if _share(woman, "screen") < (0.65 if in_target else 0.01):
                _screen(woman, today, mch, centre, actor, prepared)
        if man is None or woman.marital_status != "married":
            continue
        married_on = marriages.get(woman.pk)
        if married_on and _share(woman, "premarital") < 0.7:
            _premarital(woman, man, married_on, mch, actor, prepared, today)
        if 20 <= age <= 49:
            village[FigureKind.TARGET_COUPLES] += 1 if in_target else 0
            if _share(woman, "pre") < (0.85 if in_target else 0.01):
                _pre_pregnancy(woman, man, today, mch, centre, actor, prepared, village)
    year = today.year
    for code, values in figures.items():
        unit = OrgUnit.objects.get(code=code)
        for kind, value in values.items():
            services.figure_set(orgunit=unit, year=year, kind=kind, value=value, actor=actor)
    prepared.records = dict(prepared.records)
    return prepared


def _open(
    programme: str,
    woman: Person,
    man: Person | None,
    on: datetime.date,
    actor: object,
    today: datetime.date,
) -> ServiceRecord:
    return services.record_open(
        key=f"demo:{programme}:{woman.pk}",
        programme=programme,
        woman=woman,
        man=man,
        opened_on=on,
        consents=[services.ConsentGiven(p, on, SCOPE) for p in (woman, man) if p is not None],
        actor=actor,
        today=today,
    )


def _step(
    record: ServiceRecord,
    step: str,
    on: datetime.date,
    inst: Institution,
    actor: object,
    today: datetime.date,
    prepared: Prepared,
    **kw: str,
) -> None:
    if on > today:
        return
    services.step_record(
        record=record,
        step=step,
        on=on,
        institution=inst,
        staff_name="张医生",
        actor=actor,
        today=today,
        **kw,
    )
    prepared.steps += 1


def _pre_pregnancy(
    woman: Person,
    man: Person,
    today: datetime.date,
    mch: Institution,
    centre: Institution,
    actor: object,
    prepared: Prepared,
    village: dict[str, int],
) -> None:
    start = _day(today, _share(woman, "when"))
    record = _open("pre_pregnancy", woman, man, start, actor, today)
    prepared.records["pre_pregnancy"] += 1
    _step(record, "enrolled", start, centre, actor, today, prepared)
    examined = start + datetime.timedelta(days=7)
    _step(record, "examined", examined, mch, actor, today, prepared)
    high = _share(woman, "risk") < 0.125
    _step(
        record,
        "risk_assessed",
        examined + datetime.timedelta(days=3),
        mch,
        actor,
        today,
        prepared,
        outcome="high" if high else "low",
        advice="转诊遗传咨询，孕前保健指导" if high else "补充叶酸，孕前保健指导",
    )
    if _share(woman, "pregnant") < 0.6:
        early = examined + datetime.timedelta(days=60 + int(60 * _share(woman, "early")))
        village[FigureKind.PREGNANCIES] += early <= today
        if _share(woman, "followed") < 0.99:
            _step(record, "early_followup", early, centre, actor, today, prepared)
            outcome = early + datetime.timedelta(days=240)
            if outcome <= today:
                village[FigureKind.PREGNANCIES_DUE] += 1
                _step(record, "outcome_followup", outcome, centre, actor, today, prepared)


def _screen(
    woman: Person,
    today: datetime.date,
    mch: Institution,
    centre: Institution,
    actor: object,
    prepared: Prepared,
) -> None:
    on = _day(today, _share(woman, "screen-day"))
    record = _open("screening", woman, None, on, actor, today)
    prepared.records["screening"] += 1
    _step(record, "screened", on, centre, actor, today, prepared)
    positive = _share(woman, "positive") < 0.05
    _step(
        record,
        "result",
        on + datetime.timedelta(days=14),
        mch,
        actor,
        today,
        prepared,
        outcome="positive" if positive else "negative",
    )
    if positive:
        _step(record, "referred", on + datetime.timedelta(days=21), mch, actor, today, prepared)


def _premarital(
    woman: Person,
    man: Person,
    married_on: datetime.date,
    mch: Institution,
    actor: object,
    prepared: Prepared,
    today: datetime.date,
) -> None:
    on = max(married_on - datetime.timedelta(days=10), woman.birth_date)
    record = _open("premarital", woman, man, on, actor, today)
    prepared.records["premarital"] += 1
    _step(record, "checked", on, mch, actor, today, prepared)


def prepared_lines(prepared: Prepared) -> list[str]:
    """What ``renkou init`` prints of the prepared records."""
    if not prepared.records:
        return []
    counts = "，".join(f"{k} {v}" for k, v in sorted(prepared.records.items()))
    return [f"demo service records / 示范服务记录: {counts}; {prepared.steps} steps"]
