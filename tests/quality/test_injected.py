"""A synthetic county with injected errors: every one is found, in both modes, and no more."""

from __future__ import annotations

import csv
import datetime
from collections import Counter

import pytest

from renkou.quality.bulk import quality_run
from renkou.quality.checks import check_person
from renkou.quality.rules import BY_CODE, ERROR
from renkou.registry.loading import registry_load
from renkou.registry.models import Person
from renkou.synth.county import generate

END = datetime.date(2025, 12, 31)


@pytest.mark.django_db
def test_injected_errors_are_all_found_and_clean_persons_are_not_flagged(tmp_path) -> None:
    out = tmp_path / "county"
    generate(persons=4000, years=5, seed=11, out=out, end=END, error_rate=0.004)
    with (out / "errors.csv").open(encoding="utf-8") as fh:
        truth = {(row["person_ref"], row["rule"]) for row in csv.DictReader(fh)}
    kinds = Counter(rule for _, rule in truth)
    assert len(kinds) >= 20, kinds
    registry_load(path=out, actor="test", today=END)
    refs = dict(Person.objects.values_list("id", "person_ref"))
    result = quality_run(actor="test", as_of=END, store=False)
    found = {(refs[h.person], h.rule) for h in result.hits}
    missed = truth - found
    assert missed == set(), sorted(missed)[:20]
    flagged = {ref for ref, _ in truth}
    false_errors = {
        (refs[h.person], h.rule)
        for h in result.hits
        if h.severity == ERROR and refs[h.person] not in flagged
    }
    assert false_errors == set()
    # The single-record mode finds the same on every person touched by an error.
    by_ref = {ref: pk for pk, ref in refs.items()}
    for ref in sorted(flagged)[:150]:
        person = Person.objects.get(pk=by_ref[ref])
        single = {(ref, h.rule) for h in check_person(person, as_of=END)}
        bulk = {(r, rule) for r, rule in found if r == ref}
        assert single == bulk, ref
    assert all(rule in BY_CODE for _, rule in truth)
