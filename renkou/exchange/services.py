"""Writes of the exchange app: importing a roster (staging and quarantine), recording links."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from renkou.core import crypto, workers
from renkou.core.audit import audit_record
from renkou.core.bulk import insert_rows
from renkou.core.drills import drill_stall
from renkou.core.problems import InputRefused, problem
from renkou.exchange import damaged
from renkou.exchange import values as v
from renkou.exchange.kinds import (
    DATE,
    ID,
    KINDS,
    SEX,
    HeaderMapping,
    RosterKind,
    confirmed_mapping,
    headers_looked_for,
    map_headers,
)
from renkou.exchange.models import Outcome, QuarantinedRow, RosterImport, RosterRow
from renkou.exchange.reading import RosterStream, Row, open_roster
from renkou.orgunits.models import OrgUnit

BATCH = 2000
_PRINT_MODULUS = 2**256


@dataclass
class ImportResult:
    """The import and whether this call created it (False: the same file was imported before)."""

    roster_import: RosterImport
    created: bool
    same_rows: bool = False  # not created: an earlier import has these rows in another file


def _refused_print(mapping: HeaderMapping, cells: list[object]) -> int:
    """A refused row's digest (SHA-256, as an integer): its mapped cells as text (a staged
    row's: ``_staged_print``)."""
    content = {
        c: v.cell_text(cells[i]) if i < len(cells) else ""
        for c, i in sorted(mapping.columns.items())
    }
    text = json.dumps(content, sort_keys=True, ensure_ascii=False, default=str)
    return int.from_bytes(hashlib.sha256(text.encode()).digest(), "big")


def _as_json(value: dict[str, Any]) -> str:
    """A staged row's values (or blind indexes) as the JSON stored and digested."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


def _staged_print(values_json: str, hashes_json: str) -> int:
    """A staged row's digest (SHA-256, as an integer) from the JSON of its values and blind
    indexes (``_as_json``), made once for the database and the digest: the same text as
    ``json.dumps({"values": …, "ids": …}, sort_keys=True, …)`` spells."""
    text = f'{{"ids": {hashes_json}, "values": {values_json}}}'
    return int.from_bytes(hashlib.sha256(text.encode()).digest(), "big")


def rows_fingerprint(kind: str, count: int, total: int) -> str:
    """The fingerprint of a roster's rows, in any order: SHA-256 of its kind, its row count
    and the sum modulo 2**256 of its rows' digests (``_refused_print``,
    ``_staged_print``). A sum is the same in any order and counts a repeated row twice,
    and it is taken row by row as the file streams: no digest is kept."""
    return hashlib.sha256(f"{kind}\n{count}\n{total:064x}".encode()).hexdigest()


def file_digest(path: Path) -> str:
    """SHA-256 of a file's bytes, read in chunks."""
    with path.open("rb") as file:
        return hashlib.file_digest(file, "sha256").hexdigest()


def _validate_row(
    kind: RosterKind,
    mapping: HeaderMapping,
    cells: list[object],
    today: date,
    *,
    register: bool = True,
) -> tuple[dict[str, Any], dict[str, Any], list[tuple[str, str, str, dict[str, str]]]]:
    """(values, id blind indexes, problems as (column, value, code, params)) of one row.

    A damaged identity number is not a problem of the row (``exchange.damaged``): its
    problem and the blind indexes of its repairs go to ``hashes["problems"]`` and
    ``hashes["repairs"]``; it is a problem only when the row has nothing else to link on
    and no repair of it names a register person of the row's name: asked of the register,
    which a row validated without it (``register=False``) raises ``_NeedsRegister`` for.
    """
    values: dict[str, Any] = {}
    hashes: dict[str, Any] = {}
    problems: list[tuple[str, str, str, dict[str, str]]] = []
    id_cells: list[tuple[str, object, str]] = []
    for col in kind.columns:
        index = mapping.columns.get(col.name)
        raw = cells[index] if index is not None and index < len(cells) else None
        text = v.cell_text(raw)
        if not text:
            if col.required:
                problems.append((col.name, "", "required", {}))
            continue
        if col.type == ID:
            id_cells.append((col.name, raw, text))
            continue
        try:
            if col.type == DATE:
                day = v.a_date(raw, today=today, month_ok=col.name == "birth_date")
                values[col.name] = day.isoformat()
                if isinstance(day, v.MonthDate):  # 出生年月: the 1st, the day unknown
                    values[f"{col.name}_month_only"] = True
            elif col.type == SEX:
                values[col.name] = v.sex(raw)
            else:
                values[col.name] = text
        except v.CellProblem as exc:
            problems.append((col.name, text, exc.code, exc.params))
    # Damaged numbers: (column, masked, refusal code and params, repairs, the row's name).
    damaged_cells: list[tuple[str, str, str, dict[str, str], list[str], str]] = []
    for name, raw, text in id_cells:
        own = name == "id_number"
        try:
            number = v.id_number(raw)
        except v.CellProblem as exc:
            found = damaged.examine(raw, today=today, sex=values.get("sex", "") if own else "")
            values[name] = found.masked
            if found.hash:
                hashes[name] = found.hash  # read without its dashes
            if found.problem:
                hashes.setdefault("problems", {})[name] = found.problem
            if found.repairs:
                hashes.setdefault("repairs", {})[name] = found.repairs
            if not found.hash:
                who = values.get("name" if own else name.replace("_id", "_name"), "")
                masked = crypto.mask_id_number(text)
                damaged_cells.append((name, masked, exc.code, exc.params, found.repairs, who))
            elif own:
                _disagreement(values, found.birth_date, found.sex, hashes)
            continue
        values[name] = number.masked
        hashes[name] = crypto.blind_index(number.number)
        if own:
            _disagreement(values, number.birth_date.isoformat(), number.sex, hashes)
    if damaged_cells and not _linkable_without_number(
        kind.code, values, {d[0] for d in damaged_cells}
    ):
        # Nothing else links the row: a repair naming a register person of the row's name
        # still does; the numbers beyond that are the row's problems.
        if not register and any(d[4] and d[5] for d in damaged_cells):
            raise _NeedsRegister
        lost = [d for d in damaged_cells if not _repair_names_someone(d[4], d[5])]
        if lost and not _linkable_without_number(kind.code, values, {d[0] for d in lost}):
            problems += [(d[0], d[1], d[2], d[3]) for d in lost]
    return values, hashes, problems


def _disagreement(values: dict[str, Any], born: str, sex: str, hashes: dict[str, Any]) -> None:
    """Note a valid own number whose birth date or sex is not the row's (linked by it); a
    birth date of the month only (出生年月) agrees with any day of its month."""
    width = 7 if values.get("birth_date_month_only") else 10
    if values.get("birth_date") and values["birth_date"][:width] != born[:width]:
        hashes.setdefault("problems", {})["id_number"] = "birth_mismatch"
    elif values.get("sex") and values["sex"] != sex:
        hashes.setdefault("problems", {})["id_number"] = "sex_mismatch"


def _repair_names_someone(repairs: list[str], name: str) -> bool:
    """Whether one of a damaged number's repairs (blind indexes) is the number of a register
    person of that name (or a homophone of it)."""
    if not repairs or not name:
        return False
    from renkou.exchange.linking import same_name
    from renkou.registry.models import Person

    found = Person.objects.filter(id_number_hash__in=repairs).values_list("name", flat=True)
    return any(same_name(name, theirs) for theirs in found)


def _linkable_without_number(kind: str, values: dict[str, Any], lost: set[str]) -> bool:
    """Whether a row whose identity numbers ``lost`` are beyond repair has other fields to
    link on (a marriage: the other spouse's number)."""
    if kind == "civil_marriages":
        return bool({"husband_id", "wife_id"} - lost)
    if kind == "hospital_births":
        return bool(values.get("mother_name"))
    return bool(values.get("name") and values.get("birth_date"))


@dataclass
class Preview:
    """The first rows of a roster file and how its headers map to the kind's columns."""

    headers: list[str]
    mapping: HeaderMapping
    samples: list[list[str]]
    already: RosterImport | None  # the earlier import of this very file, if any


PREVIEW_ROWS = 3
# Lines read for a preview: the header search window and a few data rows.
PREVIEW_LINES = 40


def roster_preview(*, path: Path, kind: str, file_name: str = "") -> Preview:
    """Read a roster's header and a few rows to show the column mapping before importing."""
    name = file_name or path.name
    if kind not in KINDS:
        raise InputRefused([problem("unknown_kind", file=name, value=kind)])
    digest = file_digest(path)
    with open_roster(path, KINDS[kind], limit=PREVIEW_LINES, name=name) as stream:
        return Preview(
            headers=stream.headers,
            mapping=map_headers(KINDS[kind], stream.headers, header_samples(stream.head)),
            samples=[[v.cell_text(c) for c in cells] for _n, cells in stream.head[:PREVIEW_ROWS]],
            already=RosterImport.objects.filter(kind=kind, content_hash=digest).first(),
        )


def header_samples(head: list[Row]) -> list[list[str]]:
    """A few data rows as text: an ignored column of identity numbers is noticed by them."""
    return [[v.cell_text(c) for c in cells] for _n, cells in head[:20]]


def require_columns(kind: RosterKind, mapping: HeaderMapping, name: str) -> None:
    """Refuse the file, naming every required column its header lacks (and the headers
    looked for), before anything of it is written."""
    if mapping.missing:
        raise InputRefused(
            [
                problem(
                    "roster_column_missing",
                    file=name,
                    row=1,
                    column=column,
                    value=headers_looked_for(kind, column),
                )
                for column in mapping.missing
            ]
        )


def mapping_report(mapping: HeaderMapping) -> list[dict[str, str]]:
    """Every column of the file: its header, its fate (mapped, guessed, ignored), the
    canonical column it was mapped to and, for an ignored one, what it looks like."""
    return [
        {"header": f.header, "fate": f.fate, "column": f.column, "looks_like": f.looks_like}
        for f in mapping.fates
    ]


def _no_progress(fraction: float, step: str) -> None:
    return None


def _stage(imp: RosterImport, staged: list[tuple[int, str, str, str]]) -> None:
    """Insert the valid rows (their values and blind indexes already JSON: ``_as_json``)
    with one prepared INSERT: building 100,000 model instances for bulk_create took a third
    of a large import."""
    insert_rows(
        RosterRow,
        [
            "roster_import_id",
            "row_number",
            "values",
            "id_hashes",
            "original_enc",
            "outcome",
            "evidence",
            "decision",
            "decision_reason",
        ],
        [
            (imp.pk, row_number, values, hashes, original, Outcome.PENDING, "{}", "", "")
            for row_number, values, hashes, original in staged
        ],
        json_columns={"values", "id_hashes", "evidence"},
        batch=BATCH,
    )


class _SameRows(Exception):
    """Raised to roll back an import whose rows an earlier import of its kind already has."""

    def __init__(self, earlier: RosterImport):
        super().__init__(earlier.pk)
        self.earlier = earlier


@dataclass
class _Counts:
    """What an import has gone through so far: rows, staged, quarantined, digests' sum."""

    rows: int = 0
    staged: int = 0
    quarantined: int = 0
    total: int = 0
    fingerprint: str = ""


def roster_import(
    *,
    path: Path,
    kind: str,
    orgunit: OrgUnit,
    actor: Any,
    today: date | None = None,
    columns: dict[str, int] | None = None,
    progress: Callable[[float, str], None] = _no_progress,
    file_name: str = "",
    decide: Callable[[list[str], HeaderMapping], tuple[HeaderMapping, bool]] | None = None,
) -> ImportResult:
    """Import a roster file: stage valid rows, quarantine bad ones, refuse unreadable files.

    The file streams (``reading.open_roster``): its rows are validated and written batch by
    batch, all in one transaction, so that memory does not grow with the rows and a file
    refused midway (damaged further on) leaves nothing.
    Idempotent: a file with the same content and kind is recognised and not processed again,
    and so is another file with the same rows (``same_rows``: re-encoded, re-saved as xlsx,
    rows in another order), by the fingerprint of its normalised rows (``rows_fingerprint``);
    known only once every row is read, it rolls back such an import at its end.
    ``columns`` is a mapping a person confirmed (canonical column → file column index);
    without it the headers are mapped automatically. ``progress(fraction, step)`` is told
    how far the import is. ``file_name`` is the name the sender gave the file (an upload is
    stored under another name). ``decide(headers, mapping)``, when given, is shown the
    file's headers and the mapping found once the header is read, before anything is
    written, and returns the mapping to import with and whether a person confirmed it (or
    raises, and nothing is imported): the command line decides there instead of reading the
    file once more for a preview first.
    """
    name = file_name or path.name
    if kind not in KINDS:
        raise InputRefused([problem("unknown_kind", file=name, value=kind)])
    digest = file_digest(path)
    existing = RosterImport.objects.filter(kind=kind, content_hash=digest).first()
    if existing is not None:
        return ImportResult(existing, created=False)
    progress(0.0, "read")
    counts = _Counts()
    try:
        with transaction.atomic(), open_roster(path, KINDS[kind], name=name) as stream:
            imp = _import_rows(
                stream,
                kind=kind,
                orgunit=orgunit,
                actor=actor,
                digest=digest,
                name=name,
                today=today or timezone.localdate(),
                columns=columns,
                progress=progress,
                counts=counts,
                decide=decide,
            )
    except _SameRows as same:  # the same rows in another file (re-encoded, re-saved)
        return ImportResult(same.earlier, created=False, same_rows=True)
    except IntegrityError:  # an import of the same file or rows racing this one: one wins
        again = None
        if counts.fingerprint:
            again = RosterImport.objects.filter(
                kind=kind, rows_fingerprint=counts.fingerprint
            ).first()
        if again is None:
            again = RosterImport.objects.filter(kind=kind, content_hash=digest).first()
        if again is None:
            raise
        return ImportResult(again, created=False, same_rows=again.content_hash != digest)
    return ImportResult(imp, created=True)


def _import_rows(
    stream: RosterStream,
    *,
    kind: str,
    orgunit: OrgUnit,
    actor: Any,
    digest: str,
    name: str,
    today: date,
    columns: dict[str, int] | None,
    progress: Callable[[float, str], None],
    counts: _Counts,
    decide: Callable[[list[str], HeaderMapping], tuple[HeaderMapping, bool]] | None = None,
) -> RosterImport:
    """The import of a roster being read, in the caller's transaction: created first, its
    rows validated and written batch by batch, its counts and fingerprint set at the end."""
    roster_kind = KINDS[kind]
    headers = stream.headers
    if columns is None:
        mapping = map_headers(roster_kind, headers, header_samples(stream.head))
    else:
        mapping = confirmed_mapping(roster_kind, headers, columns)
    confirmed = columns is not None
    if decide is not None:
        mapping, confirmed = decide(headers, mapping)
    require_columns(roster_kind, mapping, name)
    imp = RosterImport.objects.create(
        kind=kind,
        orgunit=orgunit,
        file_name=name[:255],
        content_hash=digest,
        created_by=actor if getattr(actor, "pk", None) else None,
        mapping={
            "columns": {k: headers[i] for k, i in mapping.columns.items()},
            "guessed": [] if confirmed else mapping.guessed,
            "confirmed": confirmed,
            "ignored": mapping.ignored,
            "doubtful": [] if confirmed else mapping.doubtful,
            "report": mapping_report(mapping),
        },
    )
    context = _Batching(roster_kind, mapping, headers, name, today)
    for done, deferred in _validated(context, stream):
        if deferred:  # rows whose damaged numbers the register decides: checked here
            done = _merge(done, _validate_batch(context, deferred, register=True))
        _stage(imp, done.staged)
        QuarantinedRow.objects.bulk_create(
            [
                QuarantinedRow(
                    roster_import=imp,
                    row_number=row_number,
                    column=column,
                    value=value,
                    code=code,
                    reason_zh=zh,
                    reason_en=en,
                    original_enc=original,
                )
                for row_number, column, value, code, zh, en, original in done.quarantined
            ],
            batch_size=BATCH,
        )
        counts.rows += done.rows
        counts.staged += len(done.staged)
        counts.quarantined += done.refused
        counts.total = (counts.total + done.total) % _PRINT_MODULUS
        progress(0.02 + 0.95 * stream.fraction(), "validate")
    progress(0.98, "save")
    counts.fingerprint = rows_fingerprint(kind, counts.rows, counts.total)
    earlier = (
        RosterImport.objects.filter(kind=kind, rows_fingerprint=counts.fingerprint)
        .exclude(pk=imp.pk)
        .first()
    )
    if earlier is not None:
        raise _SameRows(earlier)
    imp.rows_fingerprint = counts.fingerprint
    imp.rows_total = counts.rows
    imp.rows_staged = counts.staged
    imp.rows_quarantined = counts.quarantined
    imp.save(update_fields=["rows_fingerprint", "rows_total", "rows_staged", "rows_quarantined"])
    audit_record(
        actor=actor,
        action="exchange.import",
        object_type="roster_import",
        object_id=imp.pk,
        after={
            "kind": kind,
            "file": imp.file_name,
            "sha256": digest,
            "rows": imp.rows_total,
            "staged": imp.rows_staged,
            "quarantined": imp.rows_quarantined,
        },
    )
    return imp


# Rows read before an import spreads its validation over worker processes: a small file
# is done before they would have started.
PARALLEL_AFTER_ROWS = 20_000


@dataclass
class _Batching:
    """What validating a roster's rows needs, the same for every batch (in a worker: its
    copy from the fork)."""

    kind: RosterKind
    mapping: HeaderMapping
    headers: list[str]
    name: str
    today: date


@dataclass
class _Done:
    """A batch validated: staged rows (row number, values JSON, blind indexes JSON,
    original encrypted), quarantine entries (row number, header, value, code, reason zh,
    reason en, original encrypted), refused rows, rows, the digests' sum."""

    staged: list[tuple[int, str, str, str]]
    quarantined: list[tuple[int, str, str, str, str, str, str]]
    refused: int
    rows: int
    total: int
    deferred: list[Row]


class _NeedsRegister(Exception):
    """A row only the register can decide (a damaged number's repairs name someone?)."""


def _merge(done: _Done, more: _Done) -> _Done:
    return _Done(
        staged=done.staged + more.staged,
        quarantined=done.quarantined + more.quarantined,
        refused=done.refused + more.refused,
        rows=done.rows + more.rows,
        total=done.total + more.total,
        deferred=[],
    )


def _validate_batch(context: _Batching, batch: list[Row], *, register: bool) -> _Done:
    """Validate, digest and encrypt a batch of rows. Without the ``register`` (in a worker,
    which never opens the database) a row it would be asked about is deferred: handed back
    unvalidated, for the parent to validate with it."""
    kind, mapping, headers, name = context.kind, context.mapping, context.headers, context.name
    protector = crypto.default_protector()
    done = _Done([], [], 0, 0, 0, [])
    for row_number, cells in batch:
        try:
            values, hashes, problems = _validate_row(
                kind, mapping, cells, context.today, register=register
            )
        except _NeedsRegister:
            done.deferred.append((row_number, cells))
            continue
        done.rows += 1
        original = protector.encrypt(
            json.dumps(
                {
                    h or f"#{i + 1}": v.cell_text(c)
                    for i, (h, c) in enumerate(zip(headers, cells, strict=False))
                },
                ensure_ascii=False,
            )
        )
        if not problems:
            values_json, hashes_json = _as_json(values), _as_json(hashes)
            done.total += _staged_print(values_json, hashes_json)
            done.staged.append((row_number, values_json, hashes_json, original))
            continue
        done.total += _refused_print(mapping, cells)
        done.refused += 1
        for column, value, code, params in problems:
            extra = {k: x for k, x in params.items() if k != "value"}
            p = problem(code, file=name, row=row_number, column=column, value=value, **extra)
            header = headers[mapping.columns[column]] if column in mapping.columns else column
            done.quarantined.append(
                (
                    row_number,
                    header[:100],
                    value[:255],
                    code,
                    p.message_zh[:255],
                    p.message_en[:255],
                    original,
                )
            )
    done.total %= _PRINT_MODULUS
    return done


def _validate_in_worker(batch: list[Row]) -> _Done:
    return _validate_batch(workers.shared_state(), batch, register=False)


def _validated(context: _Batching, stream: RosterStream) -> Iterator[tuple[_Done, list[Row]]]:
    """The stream's batches validated, in order, each with its deferred rows: here for the
    first ``PARALLEL_AFTER_ROWS`` rows, then in worker processes (``core.workers``) while
    this process writes what they hand back: validating, digesting and encrypting a row
    costs more than inserting it."""
    batches = stream.batches()
    seen = 0
    for batch in batches:
        done = _validate_batch(context, batch, register=True)
        yield done, []
        seen += len(batch)
        if seen >= PARALLEL_AFTER_ROWS:
            break
    else:
        return
    count = workers.worker_count()
    if count < 2:
        for batch in batches:
            yield _validate_batch(context, batch, register=True), []
        return
    spread = workers.ordered_map(_validate_in_worker, batches, state=context, workers=count)
    for index, done in enumerate(spread):
        if index == 0:
            drill_stall("exchange.import:workers")  # the crash drills kill the import here
        yield done, done.deferred
