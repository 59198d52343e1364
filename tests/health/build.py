"""Service records built through the services for the health tests."""

from __future__ import annotations

import datetime
import uuid
from typing import Any

TODAY = datetime.date(2025, 6, 30)


def couple() -> tuple[Any, Any]:
    """李丽 and 张伟, the married couple of village A1."""
    from renkou.registry.models import Person

    return Person.objects.get(person_ref="P2"), Person.objects.get(person_ref="P1")


def open_record(actor: Any, programme: str = "pre_pregnancy", **kw: Any) -> Any:
    """A record of the couple (or of the woman alone for screening), both consenting."""
    from renkou.health.services import ConsentGiven, record_open

    woman, man = couple()
    if programme == "screening":
        man = None
    opened = kw.pop("opened_on", datetime.date(2025, 2, 1))
    people = [p for p in (kw.pop("woman", woman), kw.pop("man", man)) if p is not None]
    return record_open(
        key=kw.pop("key", uuid.uuid4().hex),
        programme=programme,
        woman=people[0],
        man=people[1] if len(people) > 1 else None,
        opened_on=opened,
        consents=kw.pop(
            "consents", [ConsentGiven(p, opened, "保存本次服务记录，仅用于服务") for p in people]
        ),
        actor=actor,
        today=TODAY,
    )


def step(actor: Any, record: Any, name: str, on: str, institution: Any, **kw: Any) -> Any:
    """One step recorded through the service."""
    from renkou.health.services import step_record

    return step_record(
        record=record,
        step=name,
        on=datetime.date.fromisoformat(on),
        institution=institution,
        staff_name=kw.pop("staff_name", "王医生"),
        actor=actor,
        today=TODAY,
        **kw,
    )
