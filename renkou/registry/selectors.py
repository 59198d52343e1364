"""Reads of the register for a user: always through ``restrict`` (ARCHITECTURE rule 3)."""

from __future__ import annotations

import re
from typing import Any

from django.db.models import Q, QuerySet

from renkou.core import crypto, idnumber
from renkou.core.scoping import restrict
from renkou.registry.models import Event, Household, Person
from renkou.registry.names import pinyin_query

ID_LIKE = re.compile(r"^[0-9]{15}$|^[0-9]{17}[0-9Xx]$")
SEARCH_LIMIT = 50


def _prefix(field: str, text: str) -> Q:
    """Prefix match as a range, so the plain index is used on SQLite and PostgreSQL."""
    return Q(**{f"{field}__gte": text, f"{field}__lt": text + "\U0010ffff"})


def person_search(
    *, user: Any, q: str = "", village: str = "", household: str = ""
) -> QuerySet[Person]:
    """Persons the user may see matching an identity number, a name (characters or toneless
    pinyin, or pinyin initials), a village code prefix and/or a household number."""
    qs = restrict(Person.objects.all(), user)
    text = "".join(q.split())
    if text:
        if ID_LIKE.match(text):
            try:
                number = idnumber.parse(text, check_region=False).number
            except idnumber.InvalidIdNumber:
                return qs.none()
            qs = qs.filter(id_number_hash=crypto.blind_index(number))
        elif text.isascii():
            key = pinyin_query(text)
            if not key:
                return qs.none()
            qs = qs.filter(_prefix("name_pinyin", key) | Q(name_initials=key))
        else:
            qs = qs.filter(_prefix("name", text))
    if village:
        qs = qs.filter(_prefix("residence_orgunit_id", village))
    if household:
        qs = qs.filter(household__number=household)
    return qs.select_related("residence_orgunit", "household").order_by("name", "birth_date", "id")


def person_for_user(*, user: Any, person_id: int) -> Person:
    """One person the user may see, with what the page shows (raises Person.DoesNotExist)."""
    return (
        restrict(Person.objects.all(), user)
        .select_related("residence_orgunit", "hukou_orgunit", "household", "mother", "father")
        .get(pk=person_id)
    )


def person_children(person: Person) -> list[Person]:
    """The person's children, oldest first."""
    field = "mother" if person.sex == "F" else "father"
    return list(Person.objects.filter(**{field: person}).order_by("birth_date", "id"))


def person_timeline(person: Person) -> list[Event]:
    """The person's events, in the order they happened (enrolment records left out), with
    the births of their children: a parent's history shows each child born (``child`` is
    set on those events)."""
    events = list(
        Event.objects.filter(person=person)
        .exclude(kind="enrol")
        .select_related("orgunit")
        .order_by("effective_date", "id")
    )
    parent_field = "mother" if person.sex == "F" else "father"
    # Children first (indexed by parent), then their birth events (indexed by person): one
    # join over the whole events table would not use either index on SQLite.
    children = list(Person.objects.filter(**{parent_field: person}).values_list("pk", flat=True))
    births = (
        list(
            Event.objects.filter(person_id__in=children, kind="birth")
            .select_related("orgunit", "person")
            .order_by("effective_date", "id")
        )
        if children
        else []
    )
    for event in births:
        event.child = event.person  # type: ignore[attr-defined]
    return sorted(events + births, key=lambda e: (e.effective_date, e.pk))


PENDING = ("submitted", "reviewed")


def changes_pending(events: QuerySet[Event]) -> QuerySet[Event]:
    """Reported changes still waiting for a decision.

    ``applied_seq IS NULL`` says the same as the status for these rows, but lets the
    database find the few unapplied events through the applied_seq index instead of
    reading an area's whole history (the status index looks unselective to the planner:
    almost every event is "applied")."""
    return events.filter(status__in=PENDING, applied_seq__isnull=True)


def changes_decided(events: QuerySet[Event]) -> QuerySet[Event]:
    """Reported changes that were applied or rejected."""
    return events.exclude(status__in=PENDING)


def household_for_user(*, user: Any, household_id: int) -> Household:
    """One household the user may see."""
    return restrict(Household.objects.all(), user).select_related("orgunit").get(pk=household_id)


def household_members(household: Household) -> list[Person]:
    """Members of a household, the head first."""
    members = list(household.members.all().order_by("birth_date", "id"))
    return sorted(members, key=lambda p: p.relation_to_head != "head")
