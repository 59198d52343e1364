"""Payment files for the bank (直通车), the bank's result, and the disbursement rate (到位率).

A payment file lists, per entitled person, the due and previously failed months of an
approved cycle; the payee is the person (childcare: the mother, else the father). The
bank needs the full identity number and account, so writing the file decrypts them and is
audited as an export. The bank's result marks each line paid or failed; failed months
return to the pool and go out again in the next file.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone

from renkou.benefits.choices import CycleStatus, EntitlementStatus
from renkou.benefits.models import BankAccount, Cycle, Entitlement, Payment, PaymentBatch
from renkou.benefits.services import CycleError
from renkou.core.audit import audit_record
from renkou.core.crypto import decrypt
from renkou.registry.models import Person

COLUMNS = ["reference", "name", "id_number_masked", "id_number", "bank", "account", "amount"]
CHUNK = 5000


@dataclass
class BatchResult:
    """A written payment file: its batch, lines, total and who could not be paid."""

    batch: PaymentBatch
    lines: int
    total: Decimal
    missing_account: list[int] = field(default_factory=list)


def _payees(person_ids: list[int], programme: str) -> dict[int, int]:
    """Who receives the money for each entitled person."""
    if programme != "childcare":
        return {pid: pid for pid in person_ids}
    out = {}
    for i in range(0, len(person_ids), CHUNK):
        for pid, mother, father in Person.objects.filter(
            pk__in=person_ids[i : i + CHUNK]
        ).values_list("pk", "mother_id", "father_id"):
            out[pid] = mother or father
    return out


def _write(path: Path, rows: list[list[Any]]) -> None:
    if path.suffix.lower() == ".xlsx":
        import xlsxwriter

        book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
        sheet = book.add_worksheet("payments")
        sheet.write_row(0, 0, COLUMNS)
        for r, row in enumerate(rows, start=1):
            sheet.write_row(r, 0, [str(v) for v in row[:-1]] + [float(row[-1])])
        book.close()
    else:
        with path.open("w", encoding="utf-8-sig", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(COLUMNS)
            writer.writerows(rows)


@transaction.atomic
def batch_create(*, cycle: Cycle, path: Path, actor: Any) -> BatchResult:
    """Put every due or failed month of an approved cycle into a new payment file."""
    if cycle.status not in (CycleStatus.APPROVED, CycleStatus.PAYING):
        raise CycleError("payment files are written only for approved cycles")
    pending = Entitlement.objects.filter(
        cycle=cycle, status__in=[EntitlementStatus.DUE, EntitlementStatus.FAILED]
    )
    sums: dict[int, Decimal] = {
        row["person_id"]: Decimal(row["total"]).quantize(Decimal("0.01"))
        for row in pending.values("person_id").annotate(total=Sum("amount")).order_by()
    }
    payees = _payees(list(sums), cycle.programme)
    accounts = dict.fromkeys(payees.values())
    payee_ids = [p for p in accounts if p]
    for i in range(0, len(payee_ids), CHUNK):
        for person_id, bank, enc in BankAccount.objects.filter(
            person_id__in=payee_ids[i : i + CHUNK]
        ).values_list("person_id", "bank", "account_enc"):
            accounts[person_id] = (bank, enc)
    people = {}
    for i in range(0, len(payee_ids), CHUNK):
        for row in Person.objects.filter(pk__in=payee_ids[i : i + CHUNK]).values_list(
            "pk", "name", "id_number_masked", "id_number_enc"
        ):
            people[row[0]] = row
    batch = PaymentBatch.objects.create(
        cycle=cycle, created_by=actor if getattr(actor, "pk", None) else None
    )
    payments, rows, missing = [], [], []
    for pid, amount in sums.items():
        payee = payees.get(pid)
        account = accounts.get(payee) if payee else None
        if account is None:
            missing.append(pid)
            continue
        _pk, name, masked, enc = people[payee]
        reference = f"B{batch.pk}-{pid}"
        payments.append(
            Payment(batch=batch, reference=reference, person_id=pid, payee_id=payee, amount=amount)
        )
        rows.append(
            [
                reference,
                name,
                masked,
                decrypt(enc) if enc else "",
                account[0],
                decrypt(account[1]),
                amount,
            ]
        )
    Payment.objects.bulk_create(payments, batch_size=CHUNK)
    # one statement for the whole file: every pending month except those without an account
    # (usually few), instead of a long IN list of the paid persons
    in_file = pending
    for i in range(0, len(missing), CHUNK):
        in_file = in_file.exclude(person_id__in=missing[i : i + CHUNK])
    in_file.update(status=EntitlementStatus.IN_BATCH, batch=batch)
    if cycle.status == CycleStatus.APPROVED:
        cycle.status = CycleStatus.PAYING
        cycle.save(update_fields=["status"])
    total = sum((p.amount for p in payments), Decimal("0"))
    _write(path, rows)
    audit_record(
        actor=actor,
        action="benefits.payment_file.exported",
        object_type="benefits.batch",
        object_id=batch.pk,
        after={
            "cycle": cycle.pk,
            "lines": len(payments),
            "total": str(total),
            "missing_account": len(missing),
            "file": path.name,
        },
    )
    return BatchResult(batch, len(payments), total, missing)


OK_WORDS = {"success", "ok", "paid", "成功", "已发放"}


def read_result(path: Path) -> list[tuple[str, bool, str]]:
    """(reference, paid?, reason) rows of the bank's result (xlsx or csv: 参考号/状态/原因)."""
    if path.suffix.lower() in (".xlsx", ".xls"):
        from python_calamine import CalamineWorkbook

        table = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    else:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            table = list(csv.reader(fh))
    header = [str(h).strip().lower() for h in table[0]]
    ref = header.index("reference") if "reference" in header else header.index("参考号")
    stat = header.index("status") if "status" in header else header.index("状态")
    why = (
        header.index("reason")
        if "reason" in header
        else (header.index("原因") if "原因" in header else None)
    )
    out = []
    for row in table[1:]:
        if not row or not str(row[ref]).strip():
            continue
        reason = str(row[why]).strip() if why is not None and why < len(row) else ""
        out.append((str(row[ref]).strip(), str(row[stat]).strip().lower() in OK_WORDS, reason))
    return out


@transaction.atomic
def batch_reconcile(*, batch: PaymentBatch, path: Path, actor: Any) -> dict[str, int]:
    """Apply the bank's result: lines paid or failed (failed months go out again next time)."""
    result = read_result(path)
    payments = {p.reference: p for p in batch.payments.all()}
    unknown = [r for r, _ok, _why in result if r not in payments]
    if unknown:
        raise CycleError(f"the bank's result names unknown references: {unknown[:5]}")
    paid, failed = [], []
    for reference, ok, reason in result:
        p = payments[reference]
        p.status = EntitlementStatus.PAID if ok else EntitlementStatus.FAILED
        p.failure_reason = "" if ok else reason[:200]
        (paid if ok else failed).append(p)
    # failures are few and carry their own reasons; successes are one UPDATE per chunk
    Payment.objects.bulk_update(failed, ["status", "failure_reason"], batch_size=1000)
    paid_refs = [p.reference for p in paid]
    for i in range(0, len(paid_refs), CHUNK):
        Payment.objects.filter(reference__in=paid_refs[i : i + CHUNK]).update(
            status=EntitlementStatus.PAID, failure_reason=""
        )
    in_batch = Entitlement.objects.filter(batch=batch, status=EntitlementStatus.IN_BATCH)
    failed_ids = [p.person_id for p in failed]
    for i in range(0, len(failed_ids), CHUNK):
        in_batch.filter(person_id__in=failed_ids[i : i + CHUNK]).update(
            status=EntitlementStatus.FAILED
        )
    if len(paid) + len(failed) == len(payments):  # the whole file answered: the rest is paid
        in_batch.update(status=EntitlementStatus.PAID)
    else:
        paid_ids = [p.person_id for p in paid]
        for i in range(0, len(paid_ids), CHUNK):
            in_batch.filter(person_id__in=paid_ids[i : i + CHUNK]).update(
                status=EntitlementStatus.PAID
            )
    batch.reconciled_at = timezone.now()
    batch.save(update_fields=["reconciled_at"])
    counts = {"paid": len(paid), "failed": len(failed)}
    audit_record(
        actor=actor,
        action="benefits.payment_file.reconciled",
        object_type="benefits.batch",
        object_id=batch.pk,
        after={**counts, "failed_references": [p.reference for p in failed][:1000]},
    )
    return counts


def disbursement_rate(cycle: Cycle) -> list[tuple[str, Decimal, Decimal, float]]:
    """(village code, amount owed, amount paid, rate) per village of the entitled persons."""
    rows = (
        Entitlement.objects.filter(cycle=cycle)
        .exclude(status=EntitlementStatus.STOPPED)
        .values("person__hukou_orgunit_id")
        .annotate(
            owed=Sum("amount"),
            paid=Sum("amount", filter=Q(status=EntitlementStatus.PAID)),
        )
        .order_by("person__hukou_orgunit_id")
    )
    return [
        (
            r["person__hukou_orgunit_id"] or "",
            r["owed"],
            r["paid"] or Decimal("0"),
            float((r["paid"] or 0) / r["owed"]) if r["owed"] else 0.0,
        )
        for r in rows
    ]
