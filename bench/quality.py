"""Benchmark: ``renkou quality run`` over a 1,000,000-person county with injected errors.

Limits from the issue: a bulk run of all rules in at most 20 s and 2 GB peak memory; every
injected error found (recall 100 %) and at most 0.1 % of clean persons with an error-level
finding. The county is generated with ``--error-rate`` (ground truth in ``errors.csv``) and
loaded into a SQLite database of its own; errors the initial load refuses (identity numbers
that fail their check, impossible dates, places outside the tree) are then written straight
into that database by ``tamper`` (ground truth in ``tampered.csv``), standing for records
that came in before such checks existed.

``python -m bench quality`` runs it; ``python -m bench.quality tamper|score`` are its steps.
"""

from __future__ import annotations

import csv
import datetime
import os
import re
import sys
from collections import Counter
from pathlib import Path

from bench.common import OUT, median, renkou_cmd, run_measured

LIMIT_SECONDS = 20.0
LIMIT_MIB = 2048.0
RATE = 0.001
END = "2025-12-31"
SEED = 7


def _paths(persons: int) -> tuple[Path, Path]:
    label = "1m" if persons == 1_000_000 else f"{persons // 1000}k"
    return OUT / f"county-{label}-errors", OUT / f"quality-{label}-sqlite"


def ensure_loaded(persons: int) -> tuple[dict[str, str | None], Path, Path]:
    """Environment of a SQLite database holding the error-injected county (built once)."""
    county, data = _paths(persons)
    env: dict[str, str | None] = {"RENKOU_DATA_DIR": str(data), "RENKOU_DATABASE_URL": None}
    marker = data / f"ready-{persons}-{RATE}"
    if marker.exists():
        return env, county, data
    data.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        (data / f"renkou.sqlite3{suffix}").unlink(missing_ok=True)
    synth = renkou_cmd(
        "synth", "county", "--persons", str(persons), "--years", "5", "--seed", str(SEED),
        "--out", str(county), "--error-rate", str(RATE), "--end", END,
    )  # fmt: skip
    run_measured(synth, env, capture=True)
    run_measured(renkou_cmd("migrate", "-v0"), env)
    run_measured(renkou_cmd("registry", "load", str(county)), env, capture=True)
    run_measured([sys.executable, "-m", "bench.quality", "tamper", str(county)], env)
    marker.touch()
    return env, county, data


def run(repeat: int, scale: str) -> list[str]:
    """Run the bulk check ``repeat`` times; report medians, then recall and false positives."""
    persons = 100_000 if scale == "small" else 1_000_000
    env, county, _ = ensure_loaded(persons)
    times, peaks, outputs = [], [], []
    for _ in range(repeat):
        measured = run_measured(renkou_cmd("quality", "run", "--as-of", END), env, capture=True)
        times.append(measured.seconds)
        peaks.append(measured.peak_mib)
        outputs.append(measured.output)
    t, peak = median(times), median(peaks)
    ok = (t <= LIMIT_SECONDS and peak <= LIMIT_MIB) or scale == "small"
    head = re.search(r"(\d+) persons checked, (\d+) findings", outputs[-1])
    lines = [
        f"county: {county} ({persons:,} persons, error rate {RATE})",
        f"quality run {t:.1f} s (runs {', '.join(f'{x:.1f}' for x in times)}), "
        f"peak {peak:,.0f} MiB  [limits {LIMIT_SECONDS:.0f} s, {LIMIT_MIB:,.0f} MiB: "
        f"{'ok' if ok else 'OVER LIMIT'}]",
    ]
    if head:
        lines.append(f"  {int(head.group(1)):,} persons checked, {int(head.group(2)):,} findings")
    score = run_measured(
        [sys.executable, "-m", "bench.quality", "score", str(county)], env, capture=True
    )
    lines += score.output.rstrip().splitlines()
    return lines


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "renkou.settings")
    import django

    django.setup()


def _truth(county: Path) -> set[tuple[str, str]]:
    rows: set[tuple[str, str]] = set()
    for path in (county / "errors.csv", Path(os.environ["RENKOU_DATA_DIR"]) / "tampered.csv"):
        if path.exists():
            with path.open(encoding="utf-8") as fh:
                rows |= {(r["person_ref"], r["rule"]) for r in csv.DictReader(fh)}
    return rows


def tamper(county: Path) -> None:
    """Write the errors the initial load refuses straight into the benchmark database."""
    _django()
    from renkou.core import crypto, idnumber
    from renkou.registry.models import Person

    truth_refs = {ref for ref, _ in _truth(county)}
    k = max(1, round(RATE * Person.objects.count()))
    kinds = (
        "Q-ID-CHECKSUM", "Q-ID-REGION", "Q-ID-BIRTH-DATE", "Q-ID-SEX", "Q-ID-UNREADABLE",
        "Q-DATE-DEATH-BEFORE-BIRTH", "Q-STATUS-DEAD-NO-DATE", "Q-RES-NOT-VILLAGE",
        "Q-PLACE-REGION-UNKNOWN", "Q-REQ-NAME",
    )  # fmt: skip
    candidates = list(
        Person.objects.filter(status="alive", mother__isnull=True, father__isnull=True)
        .exclude(id_number_hash="")
        .filter(residence_orgunit__isnull=False, children_as_mother=None, children_as_father=None)
        .exclude(person_ref__in=truth_refs)
        .order_by("?")[: len(kinds) * k]
    )
    written = []
    for n, rule in enumerate(kinds):
        for person in candidates[n * k : (n + 1) * k]:
            number = crypto.decrypt(person.id_number_enc)
            change: dict[str, object] = {}
            if rule == "Q-ID-CHECKSUM":
                wrong = "0" if number[17] != "0" else "1"
                change = _number(number[:17] + wrong)
            elif rule == "Q-ID-REGION":
                first17 = "999999" + number[6:17]
                change = _number(first17 + idnumber.check_character(first17))
            elif rule == "Q-ID-BIRTH-DATE":
                change = {"birth_date": person.birth_date + datetime.timedelta(days=1)}
            elif rule == "Q-ID-SEX":
                change = {"sex": "F" if person.sex == "M" else "M"}
            elif rule == "Q-ID-UNREADABLE":
                change = {"id_number_enc": "k0$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}
            elif rule == "Q-DATE-DEATH-BEFORE-BIRTH":
                change = {
                    "status": "dead",
                    "death_date": person.birth_date - datetime.timedelta(10),
                }
            elif rule == "Q-STATUS-DEAD-NO-DATE":
                change = {"status": "dead", "death_date": None}
            elif rule == "Q-RES-NOT-VILLAGE":
                change = {"residence_orgunit_id": person.residence_orgunit_id[:9]}
            elif rule == "Q-PLACE-REGION-UNKNOWN":
                change = {"hukou_orgunit_id": None, "hukou_region": "999999"}
            elif rule == "Q-REQ-NAME":
                change = {"name": ""}
            Person.objects.filter(pk=person.pk).update(**change)
            written.append((person.person_ref, rule))
    path = Path(os.environ["RENKOU_DATA_DIR"]) / "tampered.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["person_ref", "rule"])
        writer.writerows(written)


def _number(number: str) -> dict[str, object]:
    from renkou.core import crypto

    return {
        "id_number_enc": crypto.encrypt(number),
        "id_number_masked": crypto.mask_id_number(number),
    }


def score(county: Path) -> None:
    """Per-rule recall against the ground truth, and error-level findings on clean persons."""
    _django()
    from renkou.quality.models import Finding
    from renkou.quality.rules import BY_CODE, ERROR
    from renkou.registry.models import Person

    truth = _truth(county)
    found = set(Finding.objects.values_list("person__person_ref", "rule"))
    severity = dict(Finding.objects.values_list("rule", "severity").distinct())
    dirty = {ref for ref, _ in truth}
    clean_errors = Counter(
        rule for ref, rule in found if ref not in dirty and BY_CODE[rule].severity == ERROR
    )
    clean_flagged = len(
        {ref for ref, rule in found if ref not in dirty and BY_CODE[rule].severity == ERROR}
    )
    clean = Person.objects.count() - len(dirty)
    expected = Counter(rule for _, rule in truth)
    hit = Counter(rule for pair in truth & found for rule in [pair[1]])
    print(f"  {'rule':28} {'sev':7} {'injected':>9} {'found':>7} {'recall':>8} {'FP clean':>9}")
    for rule in sorted(BY_CODE):
        if not expected[rule] and not clean_errors[rule]:
            continue
        recall = hit[rule] / expected[rule] if expected[rule] else float("nan")
        print(
            f"  {rule:28} {severity.get(rule, BY_CODE[rule].severity):7} {expected[rule]:9,} "
            f"{hit[rule]:7,} {recall:8.1%} {clean_errors[rule]:9,}"
        )
    total = sum(expected.values())
    print(
        f"  all {len(expected)} kinds: {len(truth & found):,} of {total:,} injected errors found "
        f"({len(truth & found) / max(total, 1):.2%}); clean persons with an error-level finding: "
        f"{clean_flagged:,} of {clean:,} ({clean_flagged / max(clean, 1):.4%}) [limit 0.1 %]"
    )


if __name__ == "__main__":
    action, path = sys.argv[1], Path(sys.argv[2])
    {"tamper": tamper, "score": score}[action](path)
