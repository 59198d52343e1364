"""Cases built through the service for the case tests."""

from __future__ import annotations

import datetime
import uuid
from typing import Any

from tests.builders import VILLAGE_A1

TODAY = datetime.date(2025, 6, 30)


def register(actor: Any, unit: str = VILLAGE_A1, **kw: Any) -> Any:
    """A case registered through the service (defaults: a visit about benefits)."""
    from renkou.cases.services import case_register
    from renkou.orgunits.models import OrgUnit

    fields: dict[str, Any] = {
        "token": uuid.uuid4().hex,
        "channel": "visit",
        "category": "benefits",
        "received_on": datetime.date(2025, 3, 1),
        "petitioner_name": "王大明",
        "petitioner_phone": "138-0013-8000",
        "request": "询问农村部分计划生育家庭奖励扶助的申领条件",
        "today": TODAY,
    }
    fields.update(kw)
    return case_register(orgunit=OrgUnit.objects.get(code=unit), actor=actor, **fields)
