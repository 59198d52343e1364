"""Drills: the payment command killed with SIGKILL while it writes, commits and renames.

A payment file holds full identity numbers and bank accounts. Killed before its batch
commits, nothing may be left at the file's name (and nothing in the system temp folder);
killed after, a re-run keeps the complete file instead of replacing it with a header.
"""

from __future__ import annotations

import csv
import datetime
import hashlib
import io
import sys
from pathlib import Path

import pytest

from renkou.benefits.models import Payment, PaymentBatch
from renkou.benefits.payments import batch_file
from renkou.benefits.services import bank_account_set, cycle_approve, cycle_compute, cycle_notice
from renkou.orgunits.models import OrgUnit
from renkou.registry.models import Person
from tests.benefits.families import load_families
from tests.builders import COUNTY, user_with_role
from tests.drills import killed_at, renkou

pytestmark = pytest.mark.django_db(transaction=True)
D = datetime.date
ACCOUNTS = {"RR_F": "6230000011112222", "G_M": "6210000033334444"}


@pytest.fixture
def approved(tmp_path):
    """A committed, approved cycle with two payable persons (and two without an account)."""
    load_families(tmp_path / "families")
    clerk = user_with_role("clerk", "county_admin", COUNTY)
    head = user_with_role("head", "county_admin", COUNTY)
    cycle = cycle_compute(
        programme="rural_reward", year=2024, orgunit=OrgUnit.objects.get(code=COUNTY), actor=clerk
    )
    cycle_notice(cycle=cycle, start=D(2024, 3, 1), days=7, actor=clerk, today=D(2024, 3, 1))
    cycle_approve(cycle=cycle, actor=head, today=D(2024, 3, 8))
    for ref, account in ACCOUNTS.items():
        bank_account_set(
            person=Person.objects.get(person_ref=ref), bank="农商银行", account=account, actor=clerk
        )
    return cycle


def _pay(cycle, out: Path) -> list[str]:
    return ["benefits", "cycle", "pay", str(cycle.pk), "--out", str(out), "--as", "head"]


def _secrets_in(directory: Path) -> list[str]:
    """Files under ``directory`` that hold an account number in clear (CSV or xlsx text)."""
    found = []
    for path in directory.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            if any(a.encode() in data for a in ACCOUNTS.values()):
                found.append(path.name)
    return found


@pytest.mark.parametrize(
    ("point", "suffix"),
    [("payments.rows", ".csv"), ("files.written", ".csv"), ("files.written", ".xlsx")],
)
def test_killed_before_the_commit_leaves_no_file_no_batch_and_nothing_in_the_temp_folder(
    approved, tmp_path, point, suffix
):
    out_dir, system_temp = tmp_path / "bank", tmp_path / "systemp"
    out_dir.mkdir()
    out = out_dir / f"pay{suffix}"
    killed_at(point, _pay(approved, out), system_temp, tmp_path / "marker")
    assert not out.exists()  # nothing at the name the bank's clerk picks up
    assert not PaymentBatch.objects.exists() and not Payment.objects.exists()
    assert list(system_temp.iterdir()) == []  # no copy in the system temp folder
    left = list(out_dir.iterdir())  # at most the killed process's temporary, owner-only
    assert all(p.name.startswith(".partial-") for p in left)
    assert all(p.stat().st_mode & 0o077 == 0 for p in left)

    done = renkou(_pay(approved, out), system_temp)
    assert done.returncode == 0, done.stderr
    assert [p.name for p in out_dir.iterdir()] == [out.name]  # the leftover is swept
    assert out.stat().st_mode & 0o777 == 0o600
    batch = PaymentBatch.objects.get()
    assert batch.file_sha256 == hashlib.sha256(out.read_bytes()).hexdigest()
    assert batch.line_count == 2 and Payment.objects.filter(batch=batch).count() == 2
    if suffix == ".csv":  # the accounts are in the file, and nowhere else
        assert _secrets_in(out_dir) == [out.name]
    assert list(system_temp.iterdir()) == []


@pytest.mark.parametrize("point", ["files.committed", "files.published"])
def test_a_rerun_after_a_late_kill_keeps_the_complete_file(approved, tmp_path, point):
    system_temp = tmp_path / "systemp"
    out = tmp_path / "bank" / "pay.csv"
    killed_at(point, _pay(approved, out), system_temp, tmp_path / "marker")
    batch = PaymentBatch.objects.get()  # committed before the kill
    if point == "files.committed":  # killed between the commit and the rename
        assert not out.exists()
    again = renkou(_pay(approved, out), system_temp)
    assert again.returncode == 0, again.stderr
    assert f"payment file {batch.pk}" in again.stdout and "nothing new to pay" in again.stdout
    with out.open(encoding="utf-8-sig", newline="") as fh:
        lines = list(csv.DictReader(fh))
    assert sorted(r["账号"] for r in lines) == sorted(ACCOUNTS.values())
    assert {r["备注"].rsplit(" ", 1)[1] for r in lines} == set(
        Payment.objects.filter(batch=batch).values_list("reference", flat=True)
    )
    assert PaymentBatch.objects.count() == 1  # no second, empty batch
    batch.refresh_from_db()
    assert batch.file_sha256 == hashlib.sha256(out.read_bytes()).hexdigest()
    before = out.read_bytes()
    third = renkou(_pay(approved, out), system_temp)  # and again: the file stays as it is
    assert third.returncode == 0 and out.read_bytes() == before
    assert [p.name for p in out.parent.iterdir()] == ["pay.csv"]


def test_a_file_at_the_name_that_is_not_a_recorded_payment_file_is_not_replaced(
    approved, tmp_path, settings
):
    settings.LANGUAGE_CODE = "en"
    out = tmp_path / "pay.csv"
    out.write_text("reference,amount\nsomething the clerk keeps\n", encoding="utf-8")
    done = renkou(_pay(approved, out), tmp_path / "systemp")
    assert done.returncode != 0 and "is not a complete payment file" in done.stderr
    assert out.read_text(encoding="utf-8").endswith("something the clerk keeps\n")
    assert not PaymentBatch.objects.exists()


def test_references_are_unique_per_batch_and_never_reused(approved, tmp_path):
    from django.db import IntegrityError, transaction

    done = renkou(_pay(approved, tmp_path / "pay.csv"), tmp_path / "systemp")
    assert done.returncode == 0, done.stderr
    line = Payment.objects.first()
    other = PaymentBatch.objects.create(cycle=approved)
    for batch, reference in ((line.batch, "B-other"), (other, line.reference)):
        with pytest.raises(IntegrityError), transaction.atomic():
            Payment.objects.create(
                batch=batch,
                reference=reference,
                person_id=line.person_id,
                payee_id=line.payee_id,
                amount=1,
            )


class _WritesWatched:
    """Paths opened for writing while watching (Python's audit events: every open)."""

    def __init__(self) -> None:
        self.paths: list[str] = []
        self.on = False
        sys.addaudithook(self._hook)

    def _hook(self, event: str, args: tuple) -> None:
        if not self.on or event != "open" or not isinstance(args[0], (str, bytes, Path)):
            return
        path, mode, flags = args[0], args[1], args[2]
        writing = (mode and any(c in str(mode) for c in "wax+")) or (flags or 0) & 0o3
        if writing:
            self.paths.append(str(path))


WATCH = _WritesWatched()


def test_the_downloaded_payment_file_is_made_in_memory(approved, tmp_path):
    done = renkou(_pay(approved, tmp_path / "pay.csv"), tmp_path / "systemp")
    assert done.returncode == 0, done.stderr
    batch = PaymentBatch.objects.get()
    clerk = type(batch.created_by).objects.get(username="clerk")
    WATCH.paths.clear()
    WATCH.on = True
    try:
        files = {s: batch_file(batch=batch, suffix=s, actor=clerk) for s in (".xlsx", ".csv")}
    finally:
        WATCH.on = False
    assert WATCH.paths == []  # not a byte of it on disk, in the temp folder or elsewhere
    assert files[".xlsx"][:2] == b"PK"
    rows = list(csv.DictReader(io.StringIO(files[".csv"].decode("utf-8-sig"), newline="")))
    assert sorted(r["账号"] for r in rows) == sorted(ACCOUNTS.values())
