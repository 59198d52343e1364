"""Background work of the exchange app (run by ``renkou worker``)."""

from __future__ import annotations

from typing import Any

from django_tasks import task

from renkou.exchange.births import STAGE, register_size
from renkou.exchange.kept_models import kept_model
from renkou.exchange.linking import roster_link
from renkou.exchange.models import Outcome, PushNotification, RosterImport


@task()
def pushed_births_link_task(roster_import_id: int) -> dict[str, Any]:
    """Link the pushed births of a day's roster that came without the mother's number, by
    her name, with the model kept for the receiving unit (none is trained here: a few
    notifications teach EM nothing; without a usable kept model the rows wait for the
    roster's "Link again")."""
    imp = RosterImport.objects.select_related("orgunit").get(pk=roster_import_id)
    pending = list(imp.rows.filter(outcome=Outcome.PENDING).values_list("pk", flat=True))
    if not pending:
        return {"linked": 0}
    usable = kept_model(
        roster_import=imp, stage=STAGE, register_size=register_size(imp), retrain=False
    )
    if usable is None:
        return {"linked": 0, "note": "no_kept_model"}
    sender = (
        PushNotification.objects.filter(row__roster_import=imp)
        .select_related("sender__user")
        .first()
    )
    actor = sender.sender.user if sender is not None else "worker"
    counts = roster_link(roster_import=imp, actor=actor, row_ids=pending)
    return {"linked": len(pending), **counts}
