"""Payment files for the bank (直通车), the bank's result, and the disbursement rate (到位率).

A payment file lists, per entitled person, the due and previously failed months of an
approved cycle, in the bank's template (姓名, 身份证号 masked as configured, 账号, 金额,
备注 with the programme, months and reference; English columns on an English page). The
payee is the person; for childcare the parent who applied, for the months applied for. The
account is decrypted for the file, which is audited as an export. No file is made when no
line can be paid (``NothingToPay`` says why). The bank's result marks each line paid or
failed; failed months go out again once the payee's account is another than the one that
failed.
"""

from __future__ import annotations

import csv
import datetime
import io
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Min, Q, Sum
from django.utils import timezone
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from renkou.benefits.choices import CycleStatus, EntitlementStatus, programme_label
from renkou.benefits.local import paid_to_parent
from renkou.benefits.models import (
    BankAccount,
    ChildcareApplication,
    Cycle,
    Entitlement,
    Payment,
    PaymentBatch,
)
from renkou.benefits.services import CycleError, application_covers
from renkou.core import cells
from renkou.core.audit import audit_record
from renkou.core.crypto import decrypt
from renkou.core.drills import drill_point
from renkou.core.files import file_sha256, file_write
from renkou.core.problems import InputRefused
from renkou.core.spreadsheets import SheetReadError, workbook_rows
from renkou.core.tabular import csv_fields_up_to
from renkou.registry.models import Person

# The bank's template (直通车): name, identity number (masked as configured), account,
# amount, and a note naming the programme, the months and the line's reference (the bank
# returns it, so its result is matched line by line).
COLUMNS_ZH = ["姓名", "身份证号", "账号", "金额", "备注"]
COLUMNS_EN = ["Name", "ID number", "Account", "Amount", "Note"]
AMOUNT = 3  # the column of the amount (a number in xlsx)
CHUNK = 5000
REFERENCE = re.compile(r"\bB\d+-\d+\b")


def _chinese() -> bool:
    return (get_language() or "zh-hans").lower().startswith("zh")


def file_columns() -> list[str]:
    """The payment file's header in the page's language."""
    return COLUMNS_ZH if _chinese() else COLUMNS_EN


def mask_id_number(number: str) -> str:
    """The identity number as the payment file shows it: the first and last digits of
    ``settings.RENKOU_PAYMENT_ID_SHOWN`` (default 6 and 4), the others as *."""
    head, tail = getattr(settings, "RENKOU_PAYMENT_ID_SHOWN", (6, 4))
    if head + tail >= len(number):
        return number
    return number[:head] + "*" * (len(number) - head - tail) + (number[-tail:] if tail else "")


def period_text(first: datetime.date | None, last: datetime.date | None) -> str:
    """The months of a line: 2025年1-12月 (Chinese) or 2025-01 to 2025-12."""
    if first is None or last is None:
        return ""
    if _chinese():
        if first == last:
            return f"{first.year}年{first.month}月"
        if first.year == last.year:
            return f"{first.year}年{first.month}-{last.month}月"
        return f"{first.year}年{first.month}月-{last.year}年{last.month}月"
    if first == last:
        return f"{first:%Y-%m}"
    return f"{first:%Y-%m} to {last:%Y-%m}"


def _line(
    label: str,
    reference: str,
    name: str,
    masked: str,
    id_enc: str,
    account_enc: str,
    amount: Decimal,
    first: datetime.date | None,
    last: datetime.date | None,
) -> list[Any]:
    number = mask_id_number(decrypt(id_enc)) if id_enc else masked
    note = " ".join(part for part in (label, period_text(first, last), reference) if part)
    return [name, number, decrypt(account_enc) if account_enc else "", amount, note]


@dataclass
class BatchResult:
    """A written payment file: its batch, lines, total and who could not be paid."""

    batch: PaymentBatch
    lines: int
    total: Decimal
    missing_account: list[int] = field(default_factory=list)
    kept: bool = False  # True: the batch's complete file was there already and is kept
    # failed before to the account the payee still has: they wait for a corrected account
    waiting_account: list[int] = field(default_factory=list)
    not_applied: int = 0  # childcare: children with due months nobody applied for
    payee_of: dict[int, int] = field(default_factory=dict)  # held persons' payees


class NothingToPay(CycleError):
    """No line to pay: no batch and no file; the message says why, with who is held."""

    def __init__(
        self,
        message: str,
        *,
        missing: list[int],
        waiting: list[int],
        payee_of: dict[int, int] | None = None,
    ) -> None:
        super().__init__(message)
        self.missing, self.waiting = missing, waiting
        self.payee_of = payee_of or {}  # whose page the account is entered on


@dataclass
class _Pending:
    """What a batch would pay, per entitled person."""

    sums: dict[int, Decimal] = field(default_factory=dict)
    months: dict[int, tuple[datetime.date, datetime.date]] = field(default_factory=dict)
    payees: dict[int, int | None] = field(default_factory=dict)
    ids: dict[int, list[int]] | None = None  # childcare: the entitlements of each line
    not_applied: set[int] = field(default_factory=set)


def _pending(cycle: Cycle, pending: Any) -> _Pending:
    """Sums, months and payee per person. Childcare: only months applied for, paid to the
    applicant (the application covering the person's earliest month; months another
    applicant applied for go out in the next file)."""
    out = _Pending()
    if cycle.programme != "childcare":
        for row in (
            pending.values("person_id")
            .annotate(total=Sum("amount"), first=Min("month"), last=Max("month"))
            .order_by()
        ):
            pid = row["person_id"]
            out.sums[pid] = Decimal(row["total"]).quantize(Decimal("0.01"))
            out.months[pid] = (row["first"], row["last"])
            out.payees[pid] = pid
        if paid_to_parent(cycle.programme):  # a local programme paid to the mother or father
            ids = list(out.payees)
            for i in range(0, len(ids), CHUNK):
                for pid, mother, father in Person.objects.filter(
                    pk__in=ids[i : i + CHUNK]
                ).values_list("pk", "mother_id", "father_id"):
                    out.payees[pid] = mother or father
        return out
    rows = list(
        pending.order_by("person_id", "month").values_list("pk", "person_id", "month", "amount")
    )
    children = sorted({r[1] for r in rows})
    applications: dict[int, list[Any]] = {}
    for i in range(0, len(children), CHUNK):
        for app in ChildcareApplication.objects.filter(
            child_id__in=children[i : i + CHUNK]
        ).select_related("applicant"):
            applications.setdefault(app.child_id, []).append(app)
    out.ids = {}
    for pk, pid, month, amount in rows:
        app = next((a for a in applications.get(pid, []) if application_covers(a, month)), None)
        if app is None:
            out.not_applied.add(pid)
            continue
        payee = out.payees.setdefault(pid, app.applicant_id)
        if payee != app.applicant_id:
            continue  # another applicant's months: the next file
        out.ids.setdefault(pid, []).append(pk)
        out.sums[pid] = out.sums.get(pid, Decimal("0")) + Decimal(amount)
        first, _last = out.months.get(pid, (month, month))
        out.months[pid] = (first, month)
    out.sums = {pid: total.quantize(Decimal("0.01")) for pid, total in out.sums.items()}
    return out


def _held_payees(payees: dict[int, Any], held: list[int]) -> dict[int, int]:
    return {pid: payees[pid] for pid in held if payees.get(pid)}


def _waiting(
    cycle: Cycle, pending: Any, accounts: dict[int, Any], payees: dict[int, Any]
) -> list[int]:
    """Persons whose months failed and whose payee still has the account the failed line
    went to: they wait until the account is corrected."""
    failed = sorted(
        set(pending.filter(status=EntitlementStatus.FAILED).values_list("person_id", flat=True))
    )
    last: dict[int, str] = {}
    for i in range(0, len(failed), CHUNK):
        for pid, account_hash in (
            Payment.objects.filter(
                batch__cycle=cycle,
                person_id__in=failed[i : i + CHUNK],
                status=EntitlementStatus.FAILED,
            )
            .order_by("batch_id")
            .values_list("person_id", "account_hash")
        ):
            last[pid] = account_hash
    waiting = []
    for pid, account_hash in last.items():
        account = accounts.get(payees.get(pid))
        if account_hash and account is not None and account[2] == account_hash:
            waiting.append(pid)
    return waiting


def _write(target: Path | BinaryIO, rows: list[list[Any]], suffix: str) -> None:
    header = file_columns()
    # Names come from rosters and forms: every cell is inert text (renkou.core.cells).
    if suffix.lower() == ".xlsx":
        # on disk: rows buffered in the data directory's scratch; in memory: nothing on disk
        if isinstance(target, Path):
            book = cells.workbook(str(target), {"constant_memory": True})
        else:
            book = cells.workbook(target, {"in_memory": True})
        sheet = book.add_worksheet("payments")
        cells.write_row(sheet, 0, 0, header)
        for r, row in enumerate(rows, start=1):
            cells.write_row(
                sheet, r, 0, [float(v) if c == AMOUNT else str(v) for c, v in enumerate(row)]
            )
        book.close()
    elif isinstance(target, Path):
        with target.open("w", encoding="utf-8-sig", newline="") as fh:
            writer = cells.CsvWriter(fh)
            writer.writerow(header)
            writer.writerows(rows)
            drill_point("payments.rows")
    else:
        text = io.TextIOWrapper(target, encoding="utf-8-sig", newline="")
        writer = cells.CsvWriter(text)
        writer.writerow(header)
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
    owed = _pending(cycle, pending)
    sums, payees = owed.sums, owed.payees
    accounts: dict[Any, Any] = dict.fromkeys(payees.values())
    payee_ids = [p for p in accounts if p]
    for i in range(0, len(payee_ids), CHUNK):
        for person_id, bank, enc, account_hash in BankAccount.objects.filter(
            person_id__in=payee_ids[i : i + CHUNK]
        ).values_list("person_id", "bank", "account_enc", "account_hash"):
            accounts[person_id] = (bank, enc, account_hash)
    people = {}
    for i in range(0, len(payee_ids), CHUNK):
        for row in Person.objects.filter(pk__in=payee_ids[i : i + CHUNK]).values_list(
            "pk", "name", "id_number_masked", "id_number_enc"
        ):
            people[row[0]] = row
    waiting = set(_waiting(cycle, pending, accounts, payees))
    missing = sorted(pid for pid in sums if accounts.get(payees.get(pid)) is None)
    payable = any(pid not in waiting and accounts.get(payees.get(pid)) for pid in sums)
    if path is not None:
        path = Path(path).resolve()
        if (earlier := _earlier_file(cycle, path, payable=payable, actor=actor)) is not None:
            return earlier
    if not payable:  # no empty batch and no file of a header only: say why instead
        why = []
        if missing:
            why.append(
                ngettext(
                    "%(n)s person without a bank account",
                    "%(n)s persons without a bank account",
                    len(missing),
                )
                % {"n": len(missing)}
            )
        if waiting:
            why.append(
                ngettext(
                    "%(n)s person waiting for a corrected account after a failed payment",
                    "%(n)s persons waiting for a corrected account after a failed payment",
                    len(waiting),
                )
                % {"n": len(waiting)}
            )
        if owed.not_applied:
            why.append(
                ngettext(
                    "%(n)s child with due months nobody applied for",
                    "%(n)s children with due months nobody applied for",
                    len(owed.not_applied),
                )
                % {"n": len(owed.not_applied)}
            )
        if not why:
            why.append(_("every due month is in a payment file already"))
        raise NothingToPay(
            _("nothing to pay in cycle %(cycle)s, no payment file written: %(why)s")
            % {"cycle": cycle.pk, "why": "; ".join(why)},
            missing=missing,
            waiting=sorted(waiting),
            payee_of=_held_payees(payees, [*missing, *waiting]),
        )
    batch = PaymentBatch.objects.create(
        cycle=cycle, created_by=actor if getattr(actor, "pk", None) else None
    )
    payments, rows = [], []
    label = programme_label(cycle.programme)
    for pid, amount in sums.items():
        payee = payees.get(pid)
        account = accounts.get(payee) if payee else None
        if account is None or pid in waiting:
            continue
        _pk, name, masked, enc = people[payee]
        reference = f"B{batch.pk}-{pid}"
        first, last = owed.months[pid]
        payments.append(
            Payment(
                batch=batch,
                reference=reference,
                person_id=pid,
                payee_id=payee,
                amount=amount,
                account_hash=account[2],
                first_month=first,
                last_month=last,
            )
        )
        rows.append(_line(label, reference, name, masked, enc, account[1], amount, first, last))
    Payment.objects.bulk_create(payments, batch_size=CHUNK)
    held = sorted(set(missing) | waiting)
    if owed.ids is not None:  # childcare: exactly the months applied for
        ids = [pk for p in payments for pk in owed.ids[p.person_id]]
        for i in range(0, len(ids), CHUNK):
            Entitlement.objects.filter(pk__in=ids[i : i + CHUNK]).update(
                status=EntitlementStatus.IN_BATCH, batch=batch
            )
    else:
        # one statement for the whole file: every pending month except those held (usually
        # few), instead of a long IN list of the paid persons
        in_file = pending
        for i in range(0, len(held), CHUNK):
            in_file = in_file.exclude(person_id__in=held[i : i + CHUNK])
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
            "waiting_account": len(waiting),
            "not_applied": len(owed.not_applied),
            "file": path.name if path is not None else "",
        },
    )
    return BatchResult(
        batch,
        len(payments),
        total,
        missing,
        waiting_account=sorted(waiting),
        not_applied=len(owed.not_applied),
    )


def batch_rows(batch: PaymentBatch) -> list[list[Any]]:
    """The lines of a written payment file again, decrypted (for a download)."""
    payments = list(
        batch.payments.order_by("pk").values_list(
            "reference", "payee_id", "amount", "first_month", "last_month"
        )
    )
    label = programme_label(batch.cycle.programme)
    payee_ids = sorted({p[1] for p in payments})
    people, accounts = {}, {}
    for i in range(0, len(payee_ids), CHUNK):
        chunk = payee_ids[i : i + CHUNK]
        for row in Person.objects.filter(pk__in=chunk).values_list(
            "pk", "name", "id_number_masked", "id_number_enc"
        ):
            people[row[0]] = row
        for pid, enc in BankAccount.objects.filter(person_id__in=chunk).values_list(
            "person_id", "account_enc"
        ):
            accounts[pid] = enc
    rows = []
    for reference, payee, amount, first, last in payments:
        _pk, name, masked, enc = people[payee]
        rows.append(
            _line(
                label,
                reference,
                name,
                masked,
                enc,
                accounts.get(payee, ""),
                amount,
                first,
                last,
            )
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
    # the payment file's note, which ends with the reference (when the bank returns no
    # reference column of its own)
    "note": ("note", "备注", "摘要", "附言"),
}
OPTIONAL = ("reason", "note")


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
    if cols["reference"] is None and cols["note"] is None:
        raise _refuse(path, None, "参考号", _("the column is missing"))
    for key, names in RESULT_COLUMNS.items():
        if cols[key] is None and key not in OPTIONAL and key != "reference":
            raise _refuse(path, None, names[1], _("the column is missing"))
    ref, stat, why, note = cols["reference"], cols["status"], cols["reason"], cols["note"]
    assert stat is not None
    column = "参考号" if ref is not None else "备注"
    out, seen = [], set()
    for number, row in enumerate(table[1:], start=2):
        cells = [str(c).strip() for c in row]
        if not any(cells):
            continue
        if ref is not None:
            reference = cells[ref] if ref < len(cells) else ""
        else:
            assert note is not None
            found = REFERENCE.findall(cells[note] if note < len(cells) else "")
            reference = found[-1] if found else ""
        if not reference:
            raise _refuse(path, number, column, _("the reference is empty"))
        if reference in seen:
            raise _refuse(path, number, column, _("the reference appears twice"))
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
