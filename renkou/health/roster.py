"""Rosters of service steps from the maternal and child health system (妇幼保健信息系统):
read by the exchange's machinery (``exchange.reading.open_roster``, its header mapped by
synonyms, ``require_columns``), each row linked to the register by the blind index of the
identity numbers in the import's area, checked on its own and against the record's other
steps; bad rows quarantined with row, column and reason, the rest recorded through the
services, all in one transaction with the import's audit row. The same file again is the
same import; a step already recorded on the same day is counted as already there.

Quarantined: an unknown institution, dates out of order (a follow-up before the
examination), a man's screening record, consent missing, a person not found in the area,
a cell that is not what its column holds.
"""

from __future__ import annotations

import datetime
import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from renkou.core import crypto
from renkou.core.audit import audit_record, audit_records
from renkou.exchange import values as v
from renkou.exchange.kinds import DATE, ID, TEXT, Column, RosterKind, map_headers
from renkou.exchange.linking import same_name
from renkou.exchange.reading import open_roster
from renkou.exchange.services import file_digest, header_samples, require_columns
from renkou.health import services
from renkou.health.models import Consent, Institution, RosterImport, ServiceRecord, ServiceStep
from renkou.health.programmes import PROGRAMMES
from renkou.orgunits.models import OrgUnit
from renkou.orgunits.scoping import code_prefix_q
from renkou.registry.models import Person


def _c(name: str, type_: str, required: bool, *synonyms: str) -> Column:
    return Column(name, type_, required, synonyms)


KIND = RosterKind(
    "health_services",
    "妇幼健康服务名册",
    "maternal and child health services",
    (
        _c("programme", TEXT, True, "项目", "服务项目", "项目名称"),
        _c("woman_name", TEXT, True, "女方姓名", "妇女姓名", "姓名"),
        _c("woman_id", ID, True, "女方身份证号", "妇女身份证号", "身份证号", "女方证件号码"),
        _c("man_name", TEXT, False, "男方姓名", "丈夫姓名"),
        _c("man_id", ID, False, "男方身份证号", "丈夫身份证号", "男方证件号码"),
        _c("step", TEXT, True, "环节", "服务环节", "随访类型"),
        _c("on", DATE, True, "日期", "服务日期", "检查日期", "随访日期"),
        _c("institution", TEXT, True, "机构", "服务机构", "检查机构", "机构代码"),
        _c("staff_name", TEXT, True, "服务人员", "医生", "检查医生", "填报人"),
        _c("outcome", TEXT, False, "结果", "评估结果", "筛查结果"),
        _c("advice", TEXT, False, "指导意见", "建议"),
        _c("consent_on", DATE, False, "知情同意日期", "同意日期", "签署知情同意书日期"),
        _c("consent_scope", TEXT, False, "同意事项", "知情同意内容"),
    ),
)

PROGRAMME_NAMES = {
    "国免": "pre_pregnancy",
    "孕前优生": "pre_pregnancy",
    "孕前优生健康检查": "pre_pregnancy",
    "国家免费孕前优生健康检查": "pre_pregnancy",
    "两癌": "screening",
    "两癌筛查": "screening",
    "婚检": "premarital",
    "婚前医学检查": "premarital",
}
STEP_NAMES = {
    "登记": "enrolled",
    "参检登记": "enrolled",
    "检查": "examined",
    "双方检查": "examined",
    "风险评估": "risk_assessed",
    "早孕随访": "early_followup",
    "妊娠结局随访": "outcome_followup",
    "结局随访": "outcome_followup",
    "筛查": "screened",
    "结果": "result",
    "筛查结果": "result",
    "转诊随访": "referred",
    "阳性随访": "referred",
    "婚检": "checked",
    "婚前检查": "checked",
}
OUTCOME_NAMES = {"低风险": "low", "高风险": "high", "阴性": "negative", "阳性": "positive"}
DEFAULT_SCOPE = "妇幼健康服务记录，仅用于服务"

REASONS = {
    "cell": _("The cell is not what its column holds."),
    "programme": _("Unknown programme."),
    "step": _("This programme has no such step."),
    "institution": _("Unknown institution."),
    "woman": _("No woman with this identity number lives in the area, or the name differs."),
    "man": _("No man with this identity number lives in the area, or the name differs."),
    "man_screening": _("A screening record is of a woman: this row names a man."),
    "couple": _("This programme is for a couple: name the man too."),
    "consent": _("Consent missing: the row gives no date of consent."),
    "order": _("Dates out of order, or the step before is missing or refused."),
    "outcome": _("Choose the result."),
    "twice": _("This step is recorded already, on another day."),
}


@dataclass
class _Row:
    number: int
    programme: str
    woman: Person
    man: Person | None
    step: str
    on: datetime.date
    institution: Institution
    staff_name: str
    outcome: str
    advice: str
    consent_on: datetime.date
    consent_scope: str

    @property
    def key(self) -> str:
        man = self.man.pk if self.man else ""
        return f"roster:{self.programme}:{self.woman.pk}:{man}:{self.consent_on.isoformat()}"


def _problem(row: int, column: str, reason: str) -> dict[str, Any]:
    return {"row": row, "column": column, "reason": reason}


def reason_text(code: str) -> str:
    """The reason of a quarantined row in the current language."""
    return str(REASONS.get(code, code))


def _person(hashes: dict[str, Person], number: str, name: str, sex: str) -> Person | None:
    person = hashes.get(crypto.blind_index(number))
    if person is None or person.sex != sex or not same_name(person.name, name):
        return None
    return person


def _parse(
    number: int,
    cells: dict[str, Any],
    institutions: dict[str, Institution],
    hashes: dict[str, Person],
    today: datetime.date,
) -> _Row | dict[str, Any]:
    """One row as a step to record, or its problem."""
    programme = PROGRAMME_NAMES.get(v.cell_text(cells.get("programme")), "")
    if not programme:
        return _problem(number, "programme", "programme")
    prog = PROGRAMMES[programme]
    step = STEP_NAMES.get(v.cell_text(cells.get("step")), "")
    if step not in {s.code for s in prog.steps}:
        return _problem(number, "step", "step")
    try:
        on = v.a_date(cells.get("on"), today=today)
        consent_cell = cells.get("consent_on")
        consent_on = v.a_date(consent_cell, today=today) if v.cell_text(consent_cell) else None
        woman_id = v.id_number(cells.get("woman_id")).number
        man_cell = v.cell_text(cells.get("man_id"))
        man_id = v.id_number(man_cell).number if man_cell else ""
    except v.CellProblem:
        return _problem(number, "on", "cell")
    if consent_on is None:
        return _problem(number, "consent_on", "consent")
    inst_text = v.cell_text(cells.get("institution"))
    institution = institutions.get(inst_text)
    if institution is None:
        return _problem(number, "institution", "institution")
    if man_id and not prog.couple:
        return _problem(number, "man_id", "man_screening")
    woman_name = v.cell_text(cells.get("woman_name"))
    if not prog.couple:
        # a man's screening record: the row's only person is a man
        person = hashes.get(crypto.blind_index(woman_id))
        if person is not None and person.sex == "M":
            return _problem(number, "woman_id", "man_screening")
    woman = _person(hashes, woman_id, woman_name, "F")
    if woman is None:
        return _problem(number, "woman_id", "woman")
    man = None
    if prog.couple:
        if not man_id:
            return _problem(number, "man_id", "couple")
        man = _person(hashes, man_id, v.cell_text(cells.get("man_name")), "M")
        if man is None:
            return _problem(number, "man_id", "man")
    spec = prog.step(step)
    outcome = OUTCOME_NAMES.get(v.cell_text(cells.get("outcome")), "")
    if spec.outcomes and outcome not in dict(spec.outcomes):
        return _problem(number, "outcome", "outcome")
    staff_name = v.cell_text(cells.get("staff_name"))
    if not staff_name:
        return _problem(number, "staff_name", "cell")
    return _Row(
        number,
        programme,
        woman,
        man,
        step,
        on,
        institution,
        staff_name[:50],
        outcome if spec.outcomes else "",
        v.cell_text(cells.get("advice"))[:1000],
        consent_on,
        v.cell_text(cells.get("consent_scope")) or DEFAULT_SCOPE,
    )


def _rows(path: Path, name: str) -> list[tuple[int, dict[str, Any]]]:
    """The file's data rows as {canonical column: cell} (the file refused whole when its
    header lacks a required column)."""
    out = []
    with open_roster(path, KIND, name=name) as stream:
        mapping = map_headers(KIND, stream.headers, header_samples(stream.head))
        require_columns(KIND, mapping, name)
        for batch in stream.batches():
            for number, cells in batch:
                out.append(
                    (
                        number,
                        {col: cells[i] for col, i in mapping.columns.items() if i < len(cells)},
                    )
                )
    return out


def _hashes(code: str, rows: list[tuple[int, dict[str, Any]]]) -> dict[str, Person]:
    """The persons of the area the rows' identity numbers name, by blind index."""
    wanted = set()
    for _n, cells in rows:
        for column in ("woman_id", "man_id"):
            try:
                text = v.cell_text(cells.get(column))
                if text:
                    wanted.add(crypto.blind_index(v.id_number(text).number))
            except v.CellProblem:
                continue
    found: dict[str, Person] = {}
    hashes = sorted(wanted)
    for i in range(0, len(hashes), 500):
        for person in Person.objects.filter(
            code_prefix_q("residence_orgunit_id", code), id_number_hash__in=hashes[i : i + 500]
        ):
            found[person.id_number_hash] = person
    return found


def _existing(
    keys: list[str],
) -> dict[str, tuple[ServiceRecord, dict[str, datetime.date], dict[str, str]]]:
    """The records of earlier imports among ``keys``, with their steps' dates and outcomes."""
    out: dict[str, tuple[ServiceRecord, dict[str, datetime.date], dict[str, str]]] = {}
    for i in range(0, len(keys), 500):
        records = {r.pk: r for r in ServiceRecord.objects.filter(key__in=keys[i : i + 500])}
        for r in records.values():
            out[r.key] = (r, {}, {})
        for record_id, step, on, token in ServiceStep.objects.filter(
            record_id__in=list(records)
        ).values_list("record_id", "step", "on", "result_enc"):
            _r, done, outcomes = out[records[record_id].key]
            done[step] = on
            if token:
                outcomes[step] = json.loads(crypto.decrypt(token)).get("outcome", "")
    return out


def roster_import(
    *, path: Path, orgunit: OrgUnit, actor: Any, name: str = "", today: datetime.date | None = None
) -> RosterImport:
    """Import a roster of service steps for ``orgunit`` (service staff of its area)."""
    if not services.may_serve(actor, orgunit.code):
        raise PermissionError("not service staff of this area")
    name = name or path.name
    digest = file_digest(path)
    existing = RosterImport.objects.filter(digest=digest).first()
    if existing is not None:
        return existing
    today = today or timezone.localdate()
    rows = _rows(path, name)
    institutions: dict[str, Institution] = {}
    for inst in Institution.objects.all():
        institutions[inst.code] = inst
        institutions.setdefault(inst.name, inst)
    hashes = _hashes(orgunit.code, rows)
    problems: list[dict[str, Any]] = []
    groups: dict[str, list[_Row]] = defaultdict(list)
    for number, cells in rows:
        parsed = _parse(number, cells, institutions, hashes, today)
        if isinstance(parsed, dict):
            problems.append(parsed)
        else:
            groups[parsed.key].append(parsed)
    recorded = already = 0
    existing = _existing(list(groups))
    new_records: list[ServiceRecord] = []
    consents: list[Consent] = []
    steps: list[ServiceStep] = []
    user = actor if getattr(actor, "pk", None) else None
    for key, group in groups.items():
        first = group[0]
        order = [s.code for s in PROGRAMMES[first.programme].steps]
        group.sort(key=lambda r: (order.index(r.step), r.on, r.number))
        record, done, outcomes = existing.get(key, (None, {}, {}))
        if record is not None and record.withdrawn_on is not None:
            problems += [_problem(r.number, "consent_on", "consent") for r in group]
            continue
        if record is None:
            # checked as ``record_open`` would: the consent dated on or before the record
            record = ServiceRecord(
                key=key,
                programme=first.programme,
                orgunit_id=first.woman.residence_orgunit_id,
                woman=first.woman,
                man=first.man,
                opened_on=max(min(r.on for r in group), first.consent_on),
                recorded_by=user,
            )
            new_records.append(record)
            consents += [
                Consent(
                    record=record,
                    person=p,
                    given_on=first.consent_on,
                    scope=first.consent_scope[:200],
                    recorded_by=user,
                )
                for p in (first.woman, first.man)
                if p is not None
            ]
        failed = False
        for row in group:
            if done.get(row.step) == row.on:
                already += 1
                continue
            if failed:
                problems.append(_problem(row.number, "on", "order"))
                continue
            try:
                services.step_check(record, row.step, row.on, row.outcome, done, outcomes, today)
            except services.HealthRefused as exc:
                failed = True
                reason = "twice" if row.step in done else "order"
                problems.append(
                    _problem(row.number, "on", "outcome" if exc.field == "outcome" else reason)
                )
                continue
            result = {k: x for k, x in (("outcome", row.outcome), ("advice", row.advice)) if x}
            steps.append(
                ServiceStep(
                    record=record,
                    step=row.step,
                    on=row.on,
                    institution=row.institution,
                    staff_name=row.staff_name,
                    result_enc=crypto.encrypt(json.dumps(result, ensure_ascii=False))
                    if result
                    else "",
                    recorded_by=user,
                )
            )
            done[row.step] = row.on
            if row.outcome:
                outcomes[row.step] = row.outcome
            recorded += 1
    with transaction.atomic():
        ServiceRecord.objects.bulk_create(new_records, batch_size=2000)
        for c in consents:
            c.record_id = c.record.pk
        for st in steps:
            st.record_id = st.record.pk
        Consent.objects.bulk_create(consents, batch_size=2000)
        ServiceStep.objects.bulk_create(steps, batch_size=2000)
        # one audit row per record the roster touched, naming the steps it recorded there
        # (never a result): the import's log stays a row per record, not per cell
        opened = {r.pk for r in new_records}
        touched: dict[int, list[list[str]]] = defaultdict(list)
        programme_of = {r.pk: (r.programme, r.orgunit_id) for r in new_records}
        for st in steps:
            touched[st.record_id].append([st.step, st.on.isoformat(), st.institution.code])
            programme_of.setdefault(st.record_id, (st.record.programme, st.record.orgunit_id))
        audit_records(
            actor=actor,
            action="health.roster.record",
            object_type="health.record",
            rows=[
                (
                    pk,
                    None,
                    {
                        "programme": programme_of[pk][0],
                        "orgunit": programme_of[pk][1],
                        "opened": pk in opened,
                        "steps": touched.get(pk, []),
                    },
                )
                for pk in sorted(set(touched) | opened)
            ],
        )
        problems.sort(key=lambda p: p["row"])
        made = RosterImport.objects.create(
            digest=digest,
            file_name=name[:200],
            orgunit=orgunit,
            rows=len(rows),
            recorded=recorded,
            already=already,
            problems=problems,
            imported_by=actor if getattr(actor, "pk", None) else None,
        )
        audit_record(
            actor=actor,
            action="health.roster.imported",
            object_type="health.roster_import",
            object_id=made.pk,
            after={
                "file": name,
                "orgunit": orgunit.code,
                "rows": len(rows),
                "recorded": recorded,
                "already": already,
                "quarantined": len(problems),
            },
        )
    return made
