"""Several worklist items dismissed with one reason, each by ``worklist_dismiss``."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from renkou.core.bulk import BulkResult, problems_text
from renkou.core.scoping import may, restrict
from renkou.exchange.models import RosterImport, RosterRow
from renkou.exchange.worklist import worklist_dismiss
from renkou.registry.validation import EventRefused


def worklist_dismiss_bulk(
    *, user: Any, roster_import: RosterImport, row_ids: list[int], reason: str
) -> BulkResult:
    """Dismiss the rows ``row_ids`` of one import with one reason.

    Each row is looked up in the user's area and in the import, and dismissed in its own
    transaction (checked and audited as a single dismissal is); a row already decided is
    refused and the others go on. Without a reason, or for a user who does not review the
    import's unit, nothing is done.
    """
    result = BulkResult()
    if not may(user, "review", roster_import.orgunit_id):
        result.refuse(roster_import.file_name, _("you do not review this unit"))
        return result
    if not reason.strip():
        result.refuse(roster_import.file_name, _("give the reason why there is nothing to do"))
        return result
    rows = {
        r.pk: r
        for r in restrict(RosterRow.objects.select_related("roster_import"), user).filter(
            pk__in=row_ids, roster_import=roster_import
        )
    }
    for pk in row_ids:
        row = rows.get(pk)
        if row is None:
            result.refuse(f"#{pk}", _("no such item in this worklist"))
            continue
        label = _("Row %(n)s") % {"n": row.row_number}
        if row.decision:
            result.refuse(label, _("already decided"))
            continue
        try:
            worklist_dismiss(row=row, actor=user, reason=reason)
        except EventRefused as refused:
            result.refuse(label, problems_text(refused.problems))
        else:
            result.done.append(label)
    return result
