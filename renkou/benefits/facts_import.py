"""Writes: importing a file of the facts the benefit rules read (``FactKind``) for an area.

A fact file is read by the exchange's machinery (``exchange.reading.open_roster``: xlsx,
xls, csv; its header found and mapped to canonical columns by synonyms, as rosters are).
Every row is checked on its own (its cells), then against the register (the person by the
blind index of the identity number, in the import's area, of the name the row gives) and
against the other rows of the file (a repeated row, two rows that contradict each other).
A refused row is kept with its row, column, value (masked) and reason in both languages;
the others are recorded, all in one transaction with the import's audit row: a file
refused as a whole (unreadable, a required column missing) leaves nothing, and so does a
crash. The same file is imported once; a file of facts already recorded changes nothing.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from renkou.benefits import fact_problems  # noqa: F401 (the reasons' texts)
from renkou.benefits.models import (
    Adoption,
    BankAccount,
    DisabilityRecord,
    OnlyChildCertificate,
)
from renkou.benefits.models_facts import FactImport, FactKind, FactProblem
from renkou.core import crypto
from renkou.core.audit import audit_record
from renkou.core.bulk import insert_rows
from renkou.core.masking import mask_account, mask_name
from renkou.core.problems import InputRefused, Problem, problem
from renkou.exchange import values as v
from renkou.exchange.kinds import (
    DATE,
    ID,
    TEXT,
    Column,
    RosterKind,
    map_headers,
)
from renkou.exchange.linking import same_name
from renkou.exchange.reading import open_roster
from renkou.exchange.services import file_digest, header_samples, require_columns
from renkou.orgunits.models import OrgUnit
from renkou.registry.models import Person

ACCOUNT, GRADE, MONTH = "account", "grade", "month"
CHUNK = 2000
ADULT_AGE = 18

NAME = ("姓名", "名字", "人员姓名", "户主姓名")
ID_NUMBER = ("身份证号", "身份证号码", "公民身份号码", "证件号码", "身份证件号码", "证件号")


def _c(name: str, type_: str, required: bool, *synonyms: str) -> Column:
    return Column(name, type_, required, synonyms)


KINDS: dict[str, RosterKind] = {
    k.code: k
    for k in [
        RosterKind(
            FactKind.BANK_ACCOUNTS,
            "收款账号",
            "bank accounts",
            (
                _c("name", TEXT, True, *NAME, "收款人姓名", "收款人", "户名", "账户名"),
                _c("id_number", ID, True, *ID_NUMBER, "收款人身份证号"),
                _c("bank", TEXT, True, "开户银行", "开户行", "银行", "银行名称", "发放银行"),
                _c(
                    "account",
                    ACCOUNT,
                    True,
                    "银行账号",
                    "账号",
                    "卡号",
                    "银行卡号",
                    "存折号",
                    "一卡通账号",
                    "收款账号",
                ),
                _c("valid_from", DATE, False, "启用日期", "生效日期", "开始日期", "登记日期"),
            ),
        ),
        RosterKind(
            FactKind.DISABILITY,
            "残疾人名册",
            "disability records",
            (
                _c("name", TEXT, True, *NAME),
                _c("id_number", ID, True, *ID_NUMBER),
                _c("grade", GRADE, True, "残疾等级", "等级", "残疾级别"),
                _c("certificate_number", TEXT, True, "残疾证号", "残疾人证号", "证号", "证书编号"),
                _c("valid_from", DATE, True, "发证日期", "有效期起", "起始日期", "有效期自"),
                _c("valid_until", DATE, False, "有效期至", "截止日期", "终止日期", "注销日期"),
                _c("source", TEXT, False, "来源", "数据来源", "发证机关", "报送单位"),
            ),
        ),
        RosterKind(
            FactKind.CERTIFICATES,
            "独生子女父母光荣证名册",
            "only-child certificates",
            (
                _c("holder_name", TEXT, True, "持证人姓名", "持证人", "父母姓名", "姓名"),
                _c(
                    "holder_id",
                    ID,
                    True,
                    "持证人身份证号",
                    "持证人身份证号码",
                    "父母身份证号",
                    *ID_NUMBER,
                ),
                _c("child_name", TEXT, True, "子女姓名", "独生子女姓名", "孩子姓名"),
                _c("child_id", ID, True, "子女身份证号", "子女身份证号码", "独生子女身份证号"),
                _c("number", TEXT, True, "证号", "光荣证编号", "证书编号", "光荣证号"),
                _c("issued_on", DATE, True, "发证日期", "领证日期", "发证时间"),
            ),
        ),
        RosterKind(
            FactKind.ADOPTIONS,
            "收养登记",
            "adoptions",
            (
                _c("parent_name", TEXT, True, "收养人姓名", "收养人"),
                _c("parent_id", ID, True, "收养人身份证号", "收养人身份证号码"),
                _c("child_name", TEXT, True, "被收养人姓名", "被收养人", "子女姓名"),
                _c("child_id", ID, True, "被收养人身份证号", "被收养人身份证号码", "子女身份证号"),
                _c("adopted_on", DATE, True, "收养日期", "收养登记日期", "登记日期"),
            ),
        ),
        RosterKind(
            FactKind.APPLICATIONS,
            "育儿补贴申领名册",
            "childcare applications",
            (
                _c("applicant_name", TEXT, True, "申领人姓名", "申领人", "申请人姓名", "申请人"),
                _c(
                    "applicant_id",
                    ID,
                    True,
                    "申领人身份证号",
                    "申领人身份证号码",
                    "申请人身份证号",
                    "申请人身份证号码",
                ),
                _c("child_name", TEXT, True, "子女姓名", "婴幼儿姓名", "孩子姓名"),
                _c(
                    "child_id",
                    ID,
                    True,
                    "子女身份证号",
                    "子女身份证号码",
                    "婴幼儿身份证号",
                    "婴幼儿身份证号码",
                ),
                _c("applied_on", DATE, True, "申领日期", "申请日期", "受理日期"),
                _c("first_month", MONTH, True, "起始月份", "申领起始月份", "补贴起始月份"),
                _c("last_month", MONTH, True, "终止月份", "申领终止月份", "补贴终止月份"),
            ),
        ),
        RosterKind(
            FactKind.REVOCATIONS,
            "独生子女证注销名册",
            "certificates revoked",
            (
                _c("number", TEXT, True, "证号", "光荣证编号", "证书编号", "光荣证号"),
                _c("holder_name", TEXT, False, "持证人姓名", "持证人", "姓名"),
                _c("holder_id", ID, False, "持证人身份证号", "持证人身份证号码", *ID_NUMBER),
                _c("revoked_on", DATE, True, "注销日期", "收回日期", "注销时间"),
                _c("reason", TEXT, False, "注销原因", "原因", "备注"),
            ),
        ),
    ]
}

GRADES = {"1": 1, "2": 2, "3": 3, "4": 4, "一": 1, "二": 2, "三": 3, "四": 4}


def _no_progress(fraction: float, step: str) -> None:
    return None


def luhn_ok(digits: str) -> bool:
    """The Luhn check digit of a card number (银联卡 and other bank cards use it)."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def luhn_completed(body: str) -> str:
    """``body`` with the check digit that makes it pass the Luhn check appended."""
    return next(body + d for d in "0123456789" if luhn_ok(body + d))


def is_card_number(digits: str) -> bool:
    """Whether an account number is a bank card's (16 to 19 digits, a UnionPay, Visa or
    Mastercard prefix): those carry a Luhn check digit; passbook and other accounts don't."""
    return 16 <= len(digits) <= 19 and digits[0] in "456"


def account_problem(text: str) -> tuple[str, str, dict[str, str]] | None:
    """Why an account number is refused (code, masked value, params), or None."""
    digits = "".join(text.split()).replace("-", "")
    if not digits.isdigit() or not 8 <= len(digits) <= 30:
        return "account_digits", mask_account(text), {}
    if is_card_number(digits) and not luhn_ok(digits):
        return "account_check_digit", mask_account(digits), {}
    return None


def grade_of(text: str) -> int | None:
    """A disability grade 1 to 4 from 1, 一级, 1级, 二级 …"""
    core = text.strip().removesuffix("级").removeprefix("残疾").strip()
    return GRADES.get(core)


@dataclass
class FactResult:
    """The import and whether this call created it (False: the same file was imported)."""

    fact_import: FactImport
    created: bool


@dataclass
class _Row:
    """A row whose cells are good: its values; identity numbers as (blind index, masked)."""

    number: int
    values: dict[str, Any]
    ids: dict[str, tuple[str, str]]


@dataclass
class _Run:
    """An import under way: its record, area, day, refused rows and counts."""

    imp: FactImport
    kind: RosterKind
    orgunit: OrgUnit
    today: datetime.date
    headers: dict[str, str]
    refused: dict[int, list[FactProblem]] = field(default_factory=dict)
    applied: int = 0
    unchanged: int = 0

    def refuse(self, row: int, column: str, code: str, value: str = "", **params: Any) -> None:
        p = problem(code, file=self.imp.file_name, row=row, column=column, value=value, **params)
        self.refused.setdefault(row, []).append(self._kept(p))

    def _kept(self, p: Problem) -> FactProblem:
        return FactProblem(
            fact_import=self.imp,
            row_number=p.row,
            column=self.headers.get(p.column, p.column)[:100],
            value=p.value[:255],
            code=p.code,
            reason_zh=p.message_zh[:255],
            reason_en=p.message_en[:255],
        )


def _read_cells(run: _Run, number: int, cells: list[object], columns: dict[str, int]) -> _Row:
    """A row's values, its cells' problems refused on ``run``."""
    values: dict[str, Any] = {}
    ids: dict[str, tuple[str, str]] = {}
    for col in run.kind.columns:
        index = columns.get(col.name)
        raw = cells[index] if index is not None and index < len(cells) else None
        text = v.cell_text(raw)
        if not text:
            if col.required:
                run.refuse(number, col.name, "required")
            continue
        try:
            if col.type == ID:
                found = v.id_number(raw)
                ids[col.name] = (crypto.blind_index(found.number), found.masked)
                values[f"{col.name}:birth"] = found.birth_date
            elif col.type == DATE:
                values[col.name] = v.a_date(raw, today=run.today)
            elif col.type == ACCOUNT:
                refused = account_problem(text)
                if refused is not None:
                    run.refuse(number, col.name, refused[0], refused[1], **refused[2])
                    continue
                values[col.name] = "".join(text.split()).replace("-", "")
            elif col.type == MONTH:
                values[col.name] = v.a_month(raw)
            elif col.type == GRADE:
                grade = grade_of(text)
                if grade is None:
                    run.refuse(number, col.name, "grade_invalid", text)
                    continue
                values[col.name] = grade
            else:
                values[col.name] = text
        except v.CellProblem as exc:
            shown = crypto.mask_id_number(text) if col.type == ID else text
            extra = {k: x for k, x in exc.params.items() if k != "value"}
            run.refuse(number, col.name, exc.code, shown, **extra)
    return _Row(number, values, ids)


def _persons(hashes: set[str]) -> dict[str, tuple[int, str, str, str, datetime.date | None]]:
    """{blind index: (pk, name, hukou unit, residence unit, death date)} of register persons,
    by one plain SELECT per chunk (the ORM's IN list of 2,000 took longer than the query)."""
    found: dict[str, tuple[int, str, str, str, datetime.date | None]] = {}
    wanted = sorted(hashes)
    q = connection.ops.quote_name
    columns = ("id", "id_number_hash", "name", "hukou_orgunit_id", "residence_orgunit_id")
    names = ", ".join(q(c) for c in (*columns, "death_date"))
    table = q(Person._meta.db_table)
    with connection.cursor() as cursor:
        for i in range(0, len(wanted), CHUNK):
            chunk = wanted[i : i + CHUNK]
            slots = ", ".join(["%s"] * len(chunk))
            cursor.execute(
                f"SELECT {names} FROM {table} WHERE {q('id_number_hash')} IN ({slots})",  # noqa: S608
                chunk,
            )
            for pk, h, name, hukou, residence, died in cursor.fetchall():
                if isinstance(died, str):
                    died = datetime.date.fromisoformat(died[:10])
                found[h] = (pk, name, hukou or "", residence or "", died)
    return found


def _who(
    run: _Run,
    row: _Row,
    id_column: str,
    name_column: str,
    persons: dict[str, tuple[int, str, str, str, datetime.date | None]],
) -> int | None:
    """The register person of a row's identity number in the area and of its name, or None
    with the reason refused."""
    if id_column not in row.ids:
        return None
    h, masked = row.ids[id_column]
    person = persons.get(h)
    if person is None:
        run.refuse(row.number, id_column, "fact_person_unknown", masked)
        return None
    pk, registered, hukou, residence, _died = person
    code = run.orgunit.code
    if not (hukou.startswith(code) or residence.startswith(code)):
        run.refuse(row.number, id_column, "fact_person_outside", masked, area=run.orgunit.name)
        return None
    name = row.values.get(name_column, "")
    if name and not same_name(name, registered):
        shown = mask_name(registered)
        run.refuse(row.number, name_column, "fact_name_mismatch", name, registered=shown)
        return None
    return pk


def _age(born: datetime.date, day: datetime.date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


class _Facts:
    """What one kind checks against the register and the file, and records. ``take`` is
    given every good row (in file order); ``record`` writes what was taken, once the whole
    file is read (rows that contradict each other are both refused before that)."""

    def __init__(self, run: _Run):
        self.run = run
        # key -> (first row, what the row says); rows refused for a contradiction
        self.seen: dict[Any, tuple[int, Any]] = {}

    def keep(self, key: Any, row: int, fact: Any, what: str, column: str) -> None:
        """Take ``fact`` under ``key``, unless an earlier row has it (the same: a duplicate;
        another: both rows refused)."""
        earlier = self.seen.get(key)
        if earlier is None:
            self.seen[key] = (row, fact)
            return
        first, theirs = earlier
        if first < 0:  # the key's rows contradict each other already
            self.run.refuse(row, column, "fact_conflict", other=str(-first), what=what)
        elif theirs == fact:
            self.run.refuse(row, column, "fact_duplicate", first=str(first))
        else:
            self.run.refuse(row, column, "fact_conflict", other=str(first), what=what)
            self.run.refuse(first, column, "fact_conflict", other=str(row), what=what)
            self.seen[key] = (-first, None)

    def taken(self) -> list[tuple[Any, int, Any]]:
        """(key, row, fact) of what is to be recorded: rows not refused since."""
        refused = self.run.refused
        return [
            (key, row, fact)
            for key, (row, fact) in self.seen.items()
            if row > 0 and row not in refused
        ]

    def take(self, rows: list[_Row]) -> None:
        raise NotImplementedError

    def record(self) -> None:
        raise NotImplementedError


class _Accounts(_Facts):
    def take(self, rows: list[_Row]) -> None:
        persons = _persons({r.ids["id_number"][0] for r in rows if "id_number" in r.ids})
        for row in rows:
            pk = _who(self.run, row, "id_number", "name", persons)
            if pk is None or row.number in self.run.refused:
                continue
            _pk, name, _h, _r, died = persons[row.ids["id_number"][0]]
            shown = mask_name(name)
            if died is not None:
                self.run.refuse(
                    row.number, "id_number", "account_payee_dead", shown, died=died.isoformat()
                )
                continue
            if _age(row.values["id_number:birth"], self.run.today) < ADULT_AGE:
                self.run.refuse(row.number, "id_number", "account_payee_minor", shown)
                continue
            fact = (row.values["bank"][:60], row.values["account"], row.values.get("valid_from"))
            self.keep(pk, row.number, fact, "账号 / account", "account")

    def record(self) -> None:
        taken = self.taken()
        existing: dict[int, BankAccount] = {}
        ids = [key for key, _row, _fact in taken]
        for i in range(0, len(ids), CHUNK):
            for account in BankAccount.objects.filter(person_id__in=ids[i : i + CHUNK]):
                existing[account.person_id] = account
        protector = crypto.default_protector()
        new: list[tuple[Any, ...]] = []
        changed = []
        for pk, _row, (bank, digits, since) in taken:
            h = protector.blind_index(digits, domain="bank_account")
            old = existing.get(pk)
            if old is not None and old.account_hash == h and old.bank == bank:
                self.run.unchanged += 1
                continue
            fields = {
                "bank": bank,
                "account_hash": h,
                "account_enc": protector.encrypt(digits),
                "account_masked": mask_account(digits),
                "valid_from": since or self.run.today,
                "source_import": self.run.imp,
            }
            if old is None:
                new.append((pk, *fields.values()))
            else:
                for name, value in fields.items():
                    setattr(old, name, value)
                changed.append(old)
        insert_rows(
            BankAccount,
            [
                "person_id",
                "bank",
                "account_hash",
                "account_enc",
                "account_masked",
                "valid_from",
                "source_import_id",
            ],
            [(*row[:-1], row[-1].pk) for row in new],
        )
        BankAccount.objects.bulk_update(
            changed,
            [
                "bank",
                "account_hash",
                "account_enc",
                "account_masked",
                "valid_from",
                "source_import",
            ],
            batch_size=CHUNK,
        )
        self.run.applied += len(new) + len(changed)


class _Disability(_Facts):
    def take(self, rows: list[_Row]) -> None:
        persons = _persons({r.ids["id_number"][0] for r in rows if "id_number" in r.ids})
        for row in rows:
            pk = _who(self.run, row, "id_number", "name", persons)
            if pk is None or row.number in self.run.refused:
                continue
            start, until = row.values["valid_from"], row.values.get("valid_until")
            if until is not None and until < start:
                self.run.refuse(
                    row.number, "valid_until", "dates_order", str(until), start=str(start)
                )
                continue
            key = (pk, row.values["certificate_number"][:40], start)
            fact = (row.values["grade"], until, row.values.get("source", "")[:60])
            self.keep(key, row.number, fact, "残疾等级或日期 / grade or dates", "grade")

    def record(self) -> None:
        taken = self.taken()
        existing: dict[tuple[int, str, datetime.date], DisabilityRecord] = {}
        ids = sorted({key[0] for key, _row, _fact in taken})
        for i in range(0, len(ids), CHUNK):
            for rec in DisabilityRecord.objects.filter(person_id__in=ids[i : i + CHUNK]):
                existing[(rec.person_id, rec.certificate_number, rec.valid_from)] = rec
        new, changed = [], []
        for (pk, number, start), _row, (grade, until, source) in taken:
            old = existing.get((pk, number, start))
            if old is not None and (old.grade, old.valid_until) == (grade, until):
                self.run.unchanged += 1
                continue
            if old is None:
                new.append(
                    DisabilityRecord(
                        person_id=pk,
                        grade=grade,
                        certificate_number=number,
                        valid_from=start,
                        valid_until=until,
                        source=source,
                        source_import=self.run.imp,
                    )
                )
            else:
                old.grade, old.valid_until, old.source_import = grade, until, self.run.imp
                old.source = source or old.source
                changed.append(old)
        DisabilityRecord.objects.bulk_create(new, batch_size=CHUNK)
        DisabilityRecord.objects.bulk_update(
            changed, ["grade", "valid_until", "source", "source_import"], batch_size=CHUNK
        )
        self.run.applied += len(new) + len(changed)


def _children_of(parents: set[int]) -> set[tuple[int, int]]:
    """(parent, child) pairs of the register (mother, father) and of recorded adoptions."""
    pairs: set[tuple[int, int]] = set()
    wanted = sorted(parents)
    for i in range(0, len(wanted), CHUNK):
        chunk = wanted[i : i + CHUNK]
        for pk, mother, father in (
            Person.objects.filter(mother_id__in=chunk)
            .values_list("pk", "mother_id", "father_id")
            .union(
                Person.objects.filter(father_id__in=chunk).values_list(
                    "pk", "mother_id", "father_id"
                )
            )
        ):
            pairs.update({(mother, pk), (father, pk)})
        pairs.update(
            Adoption.objects.filter(parent_id__in=chunk).values_list("parent_id", "child_id")
        )
    return pairs


def _parent_and_child(
    run: _Run, rows: list[_Row], parent: str
) -> tuple[
    dict[str, tuple[int, str, str, str, datetime.date | None]],
    list[tuple[_Row, int, int]],
    set[tuple[int, int]],
]:
    """For rows naming a parent (columns ``<parent>_id``, ``<parent>_name``) and a child
    (``child_id``, ``child_name``): the register persons found, the rows whose two persons
    are in the area by the names given (with their pks; the others refused), and the
    (parent, child) pairs the register knows among them (mother, father, adoptions)."""
    hashes = {r.ids[c][0] for r in rows for c in (f"{parent}_id", "child_id") if c in r.ids}
    persons = _persons(hashes)
    good: list[tuple[_Row, int, int]] = []
    for row in rows:
        elder = _who(run, row, f"{parent}_id", f"{parent}_name", persons)
        child = _who(run, row, "child_id", "child_name", persons)
        if elder is None or child is None or row.number in run.refused:
            continue
        good.append((row, elder, child))
    return persons, good, _children_of({e for _r, e, _c in good})


class _Certificates(_Facts):
    def __init__(self, run: _Run):
        super().__init__(run)
        self.child_of: dict[str, tuple[int, int]] = {}  # number -> (first row, child)

    def take(self, rows: list[_Row]) -> None:
        _persons_found, good, pairs = _parent_and_child(self.run, rows, "holder")
        for row, holder, child in good:
            if (holder, child) not in pairs:
                shown = mask_name(row.values["child_name"])
                self.run.refuse(row.number, "child_id", "certificate_not_parent", shown)
                continue
            number = row.values["number"][:40]
            # one certificate, one child, whoever holds it (both parents may)
            first = self.child_of.get(number)
            if first is not None and first[1] != child:
                what = "一证两个孩子 / two children on one certificate"
                self.run.refuse(
                    row.number, "number", "fact_conflict", other=str(first[0]), what=what
                )
                self.run.refuse(
                    first[0], "number", "fact_conflict", other=str(row.number), what=what
                )
                continue
            self.child_of.setdefault(number, (row.number, child))
            fact = (child, row.values["issued_on"])
            self.keep((holder, number), row.number, fact, "发证日期 / issued on", "issued_on")

    def record(self) -> None:
        taken = self.taken()
        numbers = sorted({key[1] for key, _row, _fact in taken})
        existing: dict[tuple[int, str], OnlyChildCertificate] = {}
        child_of: dict[str, tuple[int, str]] = {}
        for i in range(0, len(numbers), CHUNK):
            for cert in OnlyChildCertificate.objects.filter(
                number__in=numbers[i : i + CHUNK]
            ).select_related("child"):
                existing[(cert.holder_id, cert.number)] = cert
                child_of[cert.number] = (cert.child_id, cert.child.name)
        new, changed = [], []
        for (holder, number), row, (child, issued) in taken:
            other = child_of.get(number)
            if other is not None and other[0] != child:
                self.run.refuse(
                    row,
                    "number",
                    "certificate_other_child",
                    number,
                    registered=mask_name(other[1]),
                )
                continue
            old = existing.get((holder, number))
            if old is not None and (old.child_id, old.issued_on) == (child, issued):
                self.run.unchanged += 1
                continue
            if old is None:
                new.append(
                    OnlyChildCertificate(
                        holder_id=holder,
                        child_id=child,
                        number=number,
                        issued_on=issued,
                        source_import=self.run.imp,
                    )
                )
            else:
                old.issued_on, old.source_import = issued, self.run.imp
                changed.append(old)
        OnlyChildCertificate.objects.bulk_create(new, batch_size=CHUNK)
        OnlyChildCertificate.objects.bulk_update(
            changed, ["issued_on", "source_import"], batch_size=CHUNK
        )
        self.run.applied += len(new) + len(changed)


class _Adoptions(_Facts):
    def take(self, rows: list[_Row]) -> None:
        hashes = {r.ids[c][0] for r in rows for c in ("parent_id", "child_id") if c in r.ids}
        persons = _persons(hashes)
        for row in rows:
            parent = _who(self.run, row, "parent_id", "parent_name", persons)
            child = _who(self.run, row, "child_id", "child_name", persons)
            if parent is None or child is None or row.number in self.run.refused:
                continue
            if parent == child:
                self.run.refuse(row.number, "child_id", "adoption_same_person")
                continue
            if row.values["child_id:birth"] <= row.values["parent_id:birth"]:
                shown = mask_name(row.values["child_name"])
                self.run.refuse(row.number, "child_id", "adoption_child_older", shown)
                continue
            self.keep(
                (parent, child),
                row.number,
                row.values["adopted_on"],
                "收养日期 / adopted on",
                "adopted_on",
            )

    def record(self) -> None:
        taken = self.taken()
        parents = sorted({key[0] for key, _row, _fact in taken})
        existing: dict[tuple[int, int], datetime.date] = {}
        for i in range(0, len(parents), CHUNK):
            for parent, child, day in Adoption.objects.filter(
                parent_id__in=parents[i : i + CHUNK]
            ).values_list("parent_id", "child_id", "adopted_on"):
                existing[(parent, child)] = day
        new = []
        for (parent, child), row, day in taken:
            old = existing.get((parent, child))
            if old == day:
                self.run.unchanged += 1
            elif old is not None:
                self.run.refuse(
                    row, "adopted_on", "adoption_other_day", str(day), adopted=old.isoformat()
                )
            else:
                new.append(
                    Adoption(
                        parent_id=parent, child_id=child, adopted_on=day, source_import=self.run.imp
                    )
                )
        Adoption.objects.bulk_create(new, batch_size=CHUNK)
        self.run.applied += len(new)


class _Revocations(_Facts):
    def take(self, rows: list[_Row]) -> None:
        persons = _persons({r.ids["holder_id"][0] for r in rows if "holder_id" in r.ids})
        for row in rows:
            holder = None
            if "holder_id" in row.ids:
                holder = _who(self.run, row, "holder_id", "holder_name", persons)
                if holder is None:
                    continue
            if row.number in self.run.refused:
                continue
            number = row.values["number"][:40]
            self.keep(
                (number, holder),
                row.number,
                row.values["revoked_on"],
                "注销日期 / revoked on",
                "revoked_on",
            )

    def record(self) -> None:
        taken = self.taken()
        code = self.run.orgunit.code
        changed = []
        for (number, holder), row, day in taken:
            certs = OnlyChildCertificate.objects.filter(number=number).select_related("holder")
            if holder is not None:
                certs = certs.filter(holder_id=holder)
            mine = [
                c
                for c in certs
                if (c.holder.hukou_orgunit_id or "").startswith(code)
                or (c.holder.residence_orgunit_id or "").startswith(code)
            ]
            if not mine:
                self.run.refuse(row, "number", "certificate_unknown", number)
                continue
            done = [c for c in mine if c.revoked_on is not None]
            if done and all(c.revoked_on == day for c in done) and len(done) == len(mine):
                self.run.unchanged += 1
                continue
            if any(c.revoked_on not in (None, day) for c in mine):
                other = next(c.revoked_on for c in mine if c.revoked_on not in (None, day))
                self.run.refuse(
                    row,
                    "revoked_on",
                    "certificate_revoked_other_day",
                    number,
                    revoked=other.isoformat(),
                )
                continue
            for cert in mine:
                cert.revoked_on, cert.source_import = day, self.run.imp
                changed.append(cert)
            self.run.applied += 1
        OnlyChildCertificate.objects.bulk_update(
            changed, ["revoked_on", "source_import"], batch_size=CHUNK
        )


class _Applications(_Facts):
    """Childcare applications (申领), by the rules ``services.childcare_apply`` applies to
    one: the applicant a parent of the child (mother, father, adoptive parent), alive and
    adult; the months in order and inside the child's window; one application per child in
    a file; months applied for once (an application covering some of them already refuses
    the row; the same application again changes nothing)."""

    def take(self, rows: list[_Row]) -> None:
        from renkou.benefits.services import childcare_window

        persons, good, pairs = _parent_and_child(self.run, rows, "applicant")
        born = dict(
            Person.objects.filter(pk__in=[c for _r, _a, c in good]).values_list("pk", "birth_date")
        )
        for row, applicant, child in good:
            values = row.values
            child_shown = mask_name(values["child_name"])
            applicant_shown = mask_name(values["applicant_name"])
            if (applicant, child) not in pairs:
                self.run.refuse(
                    row.number,
                    "applicant_id",
                    "application_not_parent",
                    applicant_shown,
                    child=child_shown,
                )
                continue
            died = persons[row.ids["applicant_id"][0]][4]
            if died is not None:
                self.run.refuse(
                    row.number,
                    "applicant_id",
                    "account_payee_dead",
                    applicant_shown,
                    died=died.isoformat(),
                )
                continue
            if _age(values["applicant_id:birth"], values["applied_on"]) < ADULT_AGE:
                self.run.refuse(row.number, "applicant_id", "account_payee_minor", applicant_shown)
                continue
            first, last = values["first_month"], values["last_month"]
            if first > last:
                self.run.refuse(
                    row.number,
                    "last_month",
                    "application_months_order",
                    f"{last:%Y-%m}",
                    first=f"{first:%Y-%m}",
                )
                continue
            window = childcare_window(_Born(born.get(child)))
            if window is None:
                self.run.refuse(row.number, "child_id", "application_no_month", child_shown)
                continue
            if first < window[0] or last > window[1]:
                self.run.refuse(
                    row.number,
                    "first_month" if first < window[0] else "last_month",
                    "application_outside_window",
                    f"{first:%Y-%m}–{last:%Y-%m}",
                    start=f"{window[0]:%Y-%m}",
                    end=f"{window[1]:%Y-%m}",
                )
                continue
            fact = (applicant, values["applied_on"], first, last)
            self.keep(
                child, row.number, fact, "同一孩子的申领 / the same child's application", "child_id"
            )

    def record(self) -> None:
        from renkou.benefits.models import ChildcareApplication
        from renkou.benefits.services import application_covers

        taken = self.taken()
        children = sorted({child for child, _row, _fact in taken})
        existing: dict[int, list[ChildcareApplication]] = {}
        for i in range(0, len(children), CHUNK):
            for app in ChildcareApplication.objects.filter(
                child_id__in=children[i : i + CHUNK]
            ).select_related("applicant"):
                existing.setdefault(app.child_id, []).append(app)
        actor = self.run.imp.created_by
        new = []
        for child, row, (applicant, applied_on, first, last) in taken:
            theirs = existing.get(child, [])
            if any(
                (a.applicant_id, a.applied_on, a.first_month, a.last_month)
                == (applicant, applied_on, first, last)
                for a in theirs
            ):
                self.run.unchanged += 1
                continue
            overlap = next(
                (
                    a
                    for a in theirs
                    if a.first_month <= last
                    and a.last_month >= first
                    and application_covers(a, max(first, a.first_month))
                ),
                None,
            )
            if overlap is not None:
                self.run.refuse(
                    row,
                    "first_month",
                    "application_overlap",
                    f"{first:%Y-%m}–{last:%Y-%m}",
                    other=f"{overlap.first_month:%Y-%m}–{overlap.last_month:%Y-%m}",
                    day=overlap.applied_on.isoformat(),
                )
                continue
            new.append(
                ChildcareApplication(
                    child_id=child,
                    applicant_id=applicant,
                    applied_on=applied_on,
                    first_month=first,
                    last_month=last,
                    recorded_by=actor,
                    source_import=self.run.imp,
                )
            )
        ChildcareApplication.objects.bulk_create(new, batch_size=CHUNK)
        self.run.applied += len(new)


@dataclass
class _Born:
    """What ``childcare_window`` reads of a child."""

    birth_date: datetime.date | None


FACTS: dict[str, Callable[[_Run], _Facts]] = {
    FactKind.BANK_ACCOUNTS: _Accounts,
    FactKind.DISABILITY: _Disability,
    FactKind.CERTIFICATES: _Certificates,
    FactKind.ADOPTIONS: _Adoptions,
    FactKind.REVOCATIONS: _Revocations,
    FactKind.APPLICATIONS: _Applications,
}


def fact_import(
    *,
    path: Any,
    kind: str,
    orgunit: OrgUnit,
    actor: Any,
    today: datetime.date | None = None,
    progress: Callable[[float, str], None] = _no_progress,
    file_name: str = "",
) -> FactResult:
    """Import a fact file of ``kind`` for ``orgunit``'s area (see the module's text)."""
    name = file_name or path.name
    if kind not in KINDS:
        raise InputRefused([problem("unknown_kind", file=name, value=kind)])
    digest = file_digest(path)
    existing = FactImport.objects.filter(kind=kind, content_hash=digest).first()
    if existing is not None:
        return FactResult(existing, created=False)
    progress(0.0, "read_file")
    try:
        with transaction.atomic():
            imp = _import(path, kind, orgunit, actor, digest, name, today, progress)
    except IntegrityError:  # the same file imported at the same moment: one wins
        again = FactImport.objects.filter(kind=kind, content_hash=digest).first()
        if again is None:
            raise
        return FactResult(again, created=False)
    return FactResult(imp, created=True)


def _import(
    path: Any,
    kind: str,
    orgunit: OrgUnit,
    actor: Any,
    digest: str,
    name: str,
    today: datetime.date | None,
    progress: Callable[[float, str], None],
) -> FactImport:
    roster_kind = KINDS[kind]
    with open_roster(path, roster_kind, name=name) as stream:
        headers = stream.headers
        mapping = map_headers(roster_kind, headers, header_samples(stream.head))
        require_columns(roster_kind, mapping, name)
        imp = FactImport.objects.create(
            kind=kind,
            orgunit=orgunit,
            file_name=name[:255],
            content_hash=digest,
            created_by=actor if getattr(actor, "pk", None) else None,
            mapping={k: headers[i] for k, i in mapping.columns.items()},
        )
        run = _Run(
            imp=imp,
            kind=roster_kind,
            orgunit=orgunit,
            today=today or timezone.localdate(),
            headers={k: headers[i] for k, i in mapping.columns.items()},
        )
        facts = FACTS[kind](run)
        total = 0
        for batch in stream.batches():
            rows = [_read_cells(run, n, cells, mapping.columns) for n, cells in batch]
            facts.take([r for r in rows if r.number not in run.refused])
            total += len(batch)
            progress(0.8 * stream.fraction(), "validate")
    progress(0.85, "save")
    facts.record()
    problems = [p for row in sorted(run.refused) for p in run.refused[row]]
    FactProblem.objects.bulk_create(problems, batch_size=CHUNK)
    imp.rows_total = total
    imp.rows_applied, imp.rows_unchanged = run.applied, run.unchanged
    imp.rows_quarantined = len(run.refused)
    imp.save(update_fields=["rows_total", "rows_applied", "rows_unchanged", "rows_quarantined"])
    audit_record(
        actor=actor,
        action="benefits.facts.imported",
        object_type="benefits.fact_import",
        object_id=imp.pk,
        after={
            "kind": kind,
            "area": orgunit.code,
            "file": imp.file_name,
            "sha256": digest,
            "rows": total,
            "recorded": run.applied,
            "unchanged": run.unchanged,
            "refused": imp.rows_quarantined,
        },
    )
    progress(1.0, "done")
    return imp
