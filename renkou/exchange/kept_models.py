"""Linkage models kept per roster kind and receiving unit, reused across imports.

Training by EM takes most of a link's time and, on a small roster, learns from few pairs.
So the model trained on one import of a kind is kept for that kind, receiving unit and
pass, and later imports reuse it as it is until it is older than
``RENKOU_LINKAGE_MODEL_MAX_AGE_DAYS``, the register's size has changed by more than
``RENKOU_LINKAGE_MODEL_MAX_CHANGE`` since, or a person asks for training
(``renkou exchange link --retrain``). Only a model that went through every training step
is kept, and only one trained on at least ``MIN_ROWS_TO_KEEP`` roster rows (a handful of
pushed notifications teaches EM little). Each import still saves the model it used, so
its decisions can be re-explained after the kept one has been retrained.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from renkou.core.audit import audit_record
from renkou.exchange.models import LinkageModel, RosterImport

MIN_ROWS_TO_KEEP = 50


def kept_model(
    *, roster_import: RosterImport, stage: str, register_size: int, retrain: bool
) -> LinkageModel | None:
    """The kept model to reuse for this import and pass, or None if one must be trained."""
    if retrain:
        return None
    kept = LinkageModel.objects.filter(
        kind=roster_import.kind, orgunit=roster_import.orgunit, stage=stage
    ).first()
    if kept is None:
        return None
    max_age = timedelta(days=settings.RENKOU_LINKAGE_MODEL_MAX_AGE_DAYS)
    if timezone.now() - kept.trained_at > max_age:
        return None
    change = abs(register_size - kept.register_size) / max(kept.register_size, 1)
    if change > settings.RENKOU_LINKAGE_MODEL_MAX_CHANGE:
        return None
    return kept


def linkage_model_keep(
    *,
    roster_import: RosterImport,
    stage: str,
    register_size: int,
    splink: dict[str, Any],
    actor: Any,
) -> LinkageModel:
    """Keep ``splink`` (just trained on ``roster_import``) as its kind's model; audited."""
    kept, created = LinkageModel.objects.update_or_create(
        kind=roster_import.kind,
        orgunit=roster_import.orgunit,
        stage=stage,
        defaults={
            "trained_at": timezone.now(),
            "register_size": register_size,
            "roster_import": roster_import,
            "splink": splink,
        },
    )
    audit_record(
        actor=actor,
        action="exchange.linkage_model.train",
        object_type="linkage_model",
        object_id=kept.pk,
        after={
            "kind": kept.kind,
            "orgunit": kept.orgunit_id,
            "pass": stage,
            "register_size": register_size,
            "roster_import": roster_import.pk,
            "replaced": not created,
        },
    )
    return kept


def model_for(
    *,
    roster_import: RosterImport,
    stage: str,
    register_size: int,
    roster_size: int,
    retrain: bool,
    run: Any,
    fully_trained: Any,
    actor: Any,
) -> tuple[Any, dict[str, Any]]:
    """Run ``run(model)`` with the kept model (or None to train) and keep what it trained.

    Returns what ``run`` returned and the record of the model for the import: the Splink
    settings used and where they came from.
    """
    kept = kept_model(
        roster_import=roster_import,
        stage=stage,
        register_size=register_size,
        retrain=retrain,
    )
    result, used = run(kept.splink if kept else None)
    origin: dict[str, Any] = {}
    if kept is not None:
        origin = {"reused": kept.pk, "trained_at": kept.trained_at.isoformat()}
    elif used and fully_trained(used) and roster_size >= MIN_ROWS_TO_KEEP:
        new = linkage_model_keep(
            roster_import=roster_import,
            stage=stage,
            register_size=register_size,
            splink=used,
            actor=actor,
        )
        origin = {"kept": new.pk, "trained_at": new.trained_at.isoformat()}
    return result, {"splink": used, **origin}
