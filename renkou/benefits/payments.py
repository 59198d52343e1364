"""Payment files for the bank (直通车), the bank's result, and the disbursement rate (到位率).

A payment file lists, per entitled person, the due and previously failed months of an
approved cycle; the payee is the person (childcare: the mother, else the father). The
bank needs the full identity number and account, so writing the file decrypts them and is
audited as an export. The bank's result marks each line paid or failed; failed months
return to the pool and go out again in the next file.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO

from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from renkou.benefits.choices import CycleStatus, EntitlementStatus
from renkou.benefits.local import paid_to_parent
from renkou.benefits.models import BankAccount, Cycle, Entitlement, Payment, PaymentBatch
from renkou.benefits.services import CycleError
from renkou.core import cells
from renkou.core.audit import audit_record
from renkou.core.crypto import decrypt
from renkou.core.drills import drill_point
from renkou.core.files import file_sha256, file_write
from renkou.core.problems import InputRefused
from renkou.core.spreadsheets import SheetReadError, workbook_rows
from renkou.core.tabular import csv_fields_up_to
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
    kept: bool = False  # True: the batch's complete file was there already and is kept


def _payees(person_ids: list[int], programme: str) -> dict[int, int]:
    """Who receives the money for each entitled person."""
    if programme != "childcare" and not paid_to_parent(programme):
        return {pid: pid for pid in person_ids}
    out = {}
    for i in range(0, len(person_ids), CHUNK):
        for pid, mother, father in Person.objects.filter(
            pk__in=person_ids[i : i + CHUNK]
        ).values_list("pk", "mother_id", "father_id"):
            out[pid] = mother or father
    return out


def _write(target: Path | BinaryIO, rows: list[list[Any]], suffix: str) -> None:
    # Names come from rosters and forms: every cell is inert text (renkou.core.cells).
    if suffix.lower() == ".xlsx":
        # on disk: rows buffered in the data directory's scratch; in memory: nothing on disk
        if isinstance(target, Path):
            book = cells.workbook(str(target), {"constant_memory": True})
        else:
            book = cells.workbook(target, {"in_memory": True})
        sheet = book.add_worksheet("payments")
        cells.write_row(sheet, 0, 0, COLUMNS)
        for r, row in enumerate(rows, start=1):
            cells.write_row(sheet, r, 0, [str(v) for v in row[:-1]] + [float(row[-1])])
        book.close()
    elif isinstance(target, Path):
        with target.open("w", encoding="utf-8-sig", newline="") as fh:
            writer = cells.CsvWriter(fh)
            writer.writerow(COLUMNS)
            writer.writerows(rows)
            drill_point("payments.rows")
    else:
        text = io.TextIOWrapper(target, encoding="utf-8-sig", newline="")
        writer = cells.CsvWriter(text)
        writer.writerow(COLUMNS)
        writer.writerows(rows)
        text.flush()
        text.detach()


def _recorded(path: Path) -> PaymentBatch | None:
    """The batch whose complete file is at ``path`` (its checksum as recorded), or None."""
    sha = file_sha256(path)
    if sha is None:
        return None
    return PaymentBatch.objects.filter(file_path=str(path), file_sha256=sha).first()


def _kept(batch: PaymentBatch) -> BatchResult:
    total = batch.payments.aggregate(t=Sum("amount"))["t"] or Decimal("0")
    return BatchResult(batch, batch.line_count, total, kept=True)


def _written_again(cycle: Cycle, path: Path, actor: Any) -> BatchResult | None:
    """The cycle's batch committed for ``path`` whose file never arrived there (the process
    was killed between the commit and the rename): its file, written again."""
    batch = cycle.batches.filter(file_path=str(path)).order_by("-pk").first()
    if batch is None or path.exists():
        return None
    rows = batch_rows(batch)
    written = file_write(path, lambda p: _write(p, rows, path.suffix))
    PaymentBatch.objects.filter(pk=batch.pk).update(file_sha256=written.sha256)
    audit_record(
        actor=actor,
        action="benefits.payment_file.exported",
        object_type="benefits.batch",
        object_id=batch.pk,
        after={"cycle": cycle.pk, "lines": len(rows), "file": path.name, "written_again": True},
    )
    return _kept(batch)


def _earlier_file(cycle: Cycle, path: Path, *, payable: bool, actor: Any) -> BatchResult | None:
    """What a file already at ``path`` means: the complete file of a batch is kept (None
    when there is none); any other file is refused rather than replaced."""
    if path.exists():
        recorded = _recorded(path)
        if recorded is not None and not payable:
            return _kept(recorded)
        if recorded is not None:
            raise CycleError(
                _(
                    "%(file)s is payment file %(batch)s, complete, and is kept;"
                    " write the new payment file under another name"
                )
                % {"file": path.name, "batch": recorded.pk}
            )
        raise CycleError(
            _(
                "%(file)s exists and is not a complete payment file of this register;"
                " nothing was written (move it away or choose another name)"
            )
            % {"file": path.name}
        )
    if not payable:
        return _written_again(cycle, path, actor)
    return None


@transaction.atomic
def batch_create(*, cycle: Cycle, path: Path | None, actor: Any) -> BatchResult:
    """Put every due or failed month of an approved cycle into a new payment file.

    With ``path`` the file is written there (the command): to a temporary name first,
    renamed into place when the batch commits, its checksum recorded on the batch. A file
    already at ``path`` is never replaced: the complete file of a batch is kept (a re-run
    with nothing new to pay says so), any other file is refused. The web page writes
    nothing and builds the file again for each (audited) download.
    """
    if cycle.status not in (CycleStatus.APPROVED, CycleStatus.PAYING):
        raise CycleError(_("payment files are written only for approved cycles"))
    Cycle.objects.select_for_update().filter(pk=cycle.pk).first()  # one batch at a time
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
    payable = any(accounts.get(payees.get(pid)) for pid in sums)
    if path is not None:
        path = Path(path).resolve()
        if (earlier := _earlier_file(cycle, path, payable=payable, actor=actor)) is not None:
            return earlier
    if not payable and path is not None:  # no file of a header only (the page's batches
        # write no file and are kept as they were, empty ones included)
        raise CycleError(
            _(
                "nothing to pay: every due month of cycle %(cycle)s is in a payment file"
                " already (%(missing)s persons without a bank account)"
            )
            % {"cycle": cycle.pk, "missing": len(sums)}
        )
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
    if path is not None:
        # published at ``path`` only when this transaction commits (renkou.core.files)
        written = file_write(path, lambda p: _write(p, rows, path.suffix))
        batch.file_path, batch.file_sha256, batch.line_count = str(path), written.sha256, len(rows)
        batch.save(update_fields=["file_path", "file_sha256", "line_count"])
    else:
        batch.line_count = len(rows)
        batch.save(update_fields=["line_count"])
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
            "file": path.name if path is not None else "",
        },
    )
    return BatchResult(batch, len(payments), total, missing)


def batch_rows(batch: PaymentBatch) -> list[list[Any]]:
    """The lines of a written payment file again, decrypted (for a download)."""
    payments = list(batch.payments.order_by("pk").values_list("reference", "payee_id", "amount"))
    payee_ids = sorted({p[1] for p in payments})
    people, accounts = {}, {}
    for i in range(0, len(payee_ids), CHUNK):
        chunk = payee_ids[i : i + CHUNK]
        for row in Person.objects.filter(pk__in=chunk).values_list(
            "pk", "name", "id_number_masked", "id_number_enc"
        ):
            people[row[0]] = row
        for pid, bank, enc in BankAccount.objects.filter(person_id__in=chunk).values_list(
            "person_id", "bank", "account_enc"
        ):
            accounts[pid] = (bank, enc)
    rows = []
    for reference, payee, amount in payments:
        _pk, name, masked, enc = people[payee]
        bank, account = accounts.get(payee, ("", ""))
        rows.append(
            [
                reference,
                name,
                masked,
                decrypt(enc) if enc else "",
                bank,
                decrypt(account) if account else "",
                amount,
            ]
        )
    return rows


def batch_file(*, batch: PaymentBatch, suffix: str, actor: Any) -> bytes:
    """The payment file as xlsx or csv bytes, built in memory (no copy on disk); every
    download is audited as an export."""
    rows = batch_rows(batch)
    buffer = io.BytesIO()
    _write(buffer, rows, suffix)
    data = buffer.getvalue()
    audit_record(
        actor=actor,
        action="benefits.payment_file.downloaded",
        object_type="benefits.batch",
        object_id=batch.pk,
        after={"cycle": batch.cycle_id, "lines": len(rows), "format": suffix.lstrip(".")},
    )
    return data


OK_WORDS = {"success", "ok", "paid", "成功", "已发放"}
FAIL_WORDS = {"failed", "fail", "failure", "error", "失败", "未发放", "退回", "退票"}
RESULT_COLUMNS = {
    "reference": ("reference", "参考号", "业务参考号"),
    "status": ("status", "状态", "结果"),
    "reason": ("reason", "原因", "失败原因"),
}


class ResultFileError(CycleError):
    """The bank's result file is refused whole: the message names file, row, column, why."""


def _refuse(path: Path, row: int | None, column: str, reason: str) -> ResultFileError:
    where = (
        _("%(file)s, row %(row)s, column %(column)s") if row else _("%(file)s, column %(column)s")
    )
    return ResultFileError(f"{where % {'file': path.name, 'row': row, 'column': column}}: {reason}")


def _table(path: Path) -> list[list[Any]]:
    try:
        if path.suffix.lower() in (".xlsx", ".xls"):
            # checked, and read in a child process: no workbook can take the server down
            return workbook_rows(path.read_bytes(), path.name)
        csv_fields_up_to(path.stat().st_size)
        with path.open(encoding="utf-8-sig", newline="") as fh:
            return list(csv.reader(fh))
    except InputRefused as refused:
        problem = refused.problems[0]
        chinese = (get_language() or "zh-hans").startswith("zh")
        raise ResultFileError(
            f"{path.name}: {problem.message_zh if chinese else problem.message_en}"
        ) from refused
    except (UnicodeDecodeError, csv.Error, ValueError, OSError) as exc:
        raise ResultFileError(
            _("%(file)s cannot be read as xlsx or UTF-8 csv (%(error)s)")
            % {"file": path.name, "error": type(exc).__name__}
        ) from exc
    except SheetReadError as exc:  # calamine's own message for a damaged workbook
        raise ResultFileError(
            _("%(file)s cannot be read as xlsx or UTF-8 csv (%(error)s)")
            % {"file": path.name, "error": str(exc)[:200]}
        ) from exc


def read_result(path: Path) -> list[tuple[int, str, bool, str]]:
    """(row, reference, paid?, reason) rows of the bank result (xlsx or csv: 参考号/状态/原因).

    Refused whole, naming file, row and column, when a column is missing, a status is
    neither a success nor a failure word, or a reference appears twice.
    """
    table = _table(path)
    if not table:
        raise ResultFileError(_("%(file)s is empty") % {"file": path.name})
    header = [str(h).strip().lower() for h in table[0]]
    cols: dict[str, int | None] = {}
    for key, names in RESULT_COLUMNS.items():
        cols[key] = next((header.index(n) for n in names if n in header), None)
        if cols[key] is None and key != "reason":
            raise _refuse(path, None, names[1], _("the column is missing"))
    ref, stat, why = cols["reference"], cols["status"], cols["reason"]
    assert ref is not None and stat is not None
    out, seen = [], set()
    for number, row in enumerate(table[1:], start=2):
        cells = [str(c).strip() for c in row]
        if not any(cells):
            continue
        reference = cells[ref] if ref < len(cells) else ""
        if not reference:
            raise _refuse(path, number, "参考号", _("the reference is empty"))
        if reference in seen:
            raise _refuse(path, number, "参考号", _("the reference appears twice"))
        seen.add(reference)
        word = (cells[stat] if stat < len(cells) else "").lower()
        if word not in OK_WORDS and word not in FAIL_WORDS:
            raise _refuse(
                path,
                number,
                "状态",
                _("status %(value)s is neither paid nor failed") % {"value": repr(word)},
            )
        reason = cells[why] if why is not None and why < len(cells) else ""
        out.append((number, reference, word in OK_WORDS, reason))
    return out


@transaction.atomic
def batch_reconcile(*, batch: PaymentBatch, path: Path, actor: Any) -> dict[str, int]:
    """Apply the bank's result: lines paid or failed (failed months go out again next time)."""
    result = read_result(path)
    payments = {p.reference: p for p in batch.payments.all()}
    for number, reference, _ok, _why in result:
        if reference not in payments:
            raise _refuse(
                path,
                number,
                "参考号",
                _("reference %(ref)s is not in payment file %(batch)s")
                % {"ref": reference, "batch": batch.pk},
            )
    if batch.reconciled_at is not None:
        # a second import of the same result changes nothing; a different one is refused
        before = {p.reference: (p.status == EntitlementStatus.PAID) for p in payments.values()}
        changed = [r for _n, r, ok, _why in result if before[r] != ok]
        if changed:
            raise ResultFileError(
                _("payment file %(batch)s was reconciled already; this result differs for %(refs)s")
                % {"batch": batch.pk, "refs": ", ".join(changed[:5])}
            )
        return {
            "paid": sum(1 for _n, _r, ok, _w in result if ok),
            "failed": sum(1 for _n, _r, ok, _w in result if not ok),
        }
    paid, failed = [], []
    for _n, reference, ok, reason in result:
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
