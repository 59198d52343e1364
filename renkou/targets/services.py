"""The writes of target agreements: save one (its targets replaced whole) and copy last
year's. Each runs in one transaction with its audit row; a refused agreement writes
nothing and says every reason at once."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from renkou.analytics.models import Basis
from renkou.core.audit import audit_record
from renkou.core.scoping import may
from renkou.orgunits.models import Level, OrgUnit
from renkou.targets import catalogue, scoring
from renkou.targets.models import Agreement, Direction, Rule, Target

MAX_TARGETS = 50
FIRST_YEAR, LAST_YEAR = 2000, 2100
WEIGHT_TOLERANCE = 1e-6
SETTING_LEVELS = (Level.COUNTY, Level.TOWNSHIP)  # a county for townships, a township for villages


@dataclass
class TargetSpec:
    """One target as the form (or a copy) gives it."""

    indicator: str
    target_value: float | None
    direction: str
    weight: float | None
    rule: str
    floor: float | None = None
    basis: str = Basis.REGISTERED
    lenient: bool = True


class TargetsRefused(ValueError):
    """An agreement refused: ``errors`` holds (field, message) pairs, every reason found."""

    def __init__(self, errors: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(message for _field, message in errors))
        self.errors = errors


def may_set(user: Any, unit: OrgUnit) -> bool:
    """Whether ``user`` may set ``unit``'s agreements: a county administrator (or township
    statistician) holding the role at the unit or above it, for a county or a township."""
    return unit.level in SETTING_LEVELS and may(user, "targets", unit.code)


def _finite(value: Any) -> bool:
    return isinstance(value, int | float) and math.isfinite(value)


def _check_target(n: int, spec: TargetSpec) -> list[tuple[str, str]]:
    """What is wrong with one target (``n``: its number on the form, from 1)."""
    field = f"t{n}"
    known = catalogue.scorable(spec.indicator)
    if known is None:
        return [
            (
                field,
                _("Target %(n)d: there is no indicator %(name)s in renkou.")
                % {"n": n, "name": spec.indicator or "—"},
            )
        ]
    name = known.label
    errors = []
    if spec.basis not in Basis.values:
        errors.append(
            (field, _("Target %(n)d (%(name)s): choose a basis.") % {"n": n, "name": name})
        )
    if spec.direction not in Direction.values:
        errors.append(
            (field, _("Target %(n)d (%(name)s): choose a direction.") % {"n": n, "name": name})
        )
    if spec.rule not in Rule.values:
        errors.append(
            (field, _("Target %(n)d (%(name)s): choose a scoring rule.") % {"n": n, "name": name})
        )
    if not _finite(spec.target_value):
        errors.append(
            (field, _("Target %(n)d (%(name)s): give the target value.") % {"n": n, "name": name})
        )
    if not _finite(spec.weight) or (spec.weight or 0) <= 0:
        errors.append(
            (
                field,
                _("Target %(n)d (%(name)s): the weight must be a number above 0.")
                % {"n": n, "name": name},
            )
        )
    if spec.rule == Rule.LINEAR and not errors:
        assert spec.target_value is not None  # checked above
        if not _finite(spec.floor):
            errors.append(
                (
                    field,
                    _("Target %(n)d (%(name)s): a linear rule needs a floor (where it gives 0).")
                    % {"n": n, "name": name},
                )
            )
        elif not scoring.floor_on_right_side(spec.direction, spec.target_value, spec.floor or 0):
            message = (
                _(
                    "Target %(n)d (%(name)s): the floor %(floor)g must be below the target "
                    "%(target)g when higher is better."
                )
                if spec.direction == Direction.HIGHER
                else _(
                    "Target %(n)d (%(name)s): the floor %(floor)g must be above the target "
                    "%(target)g when lower is better."
                )
            )
            errors.append(
                (
                    field,
                    message
                    % {"n": n, "name": name, "floor": spec.floor, "target": spec.target_value},
                )
            )
    return errors


def agreement_check(
    *, year: Any, total_weight: Any, watch_line: Any, targets: list[TargetSpec]
) -> list[tuple[str, str]]:
    """Every reason to refuse an agreement (none: it may be saved)."""
    errors: list[tuple[str, str]] = []
    if not isinstance(year, int) or not FIRST_YEAR <= year <= LAST_YEAR:
        errors.append(
            (
                "year",
                _("Year: give a year from %(first)d to %(last)d.")
                % {"first": FIRST_YEAR, "last": LAST_YEAR},
            )
        )
    if not _finite(total_weight) or total_weight <= 0:
        errors.append(("total_weight", _("Total of the weights: give a number above 0.")))
    if not _finite(watch_line) or watch_line < 0:
        errors.append(("watch_line", _("Watch line: give a number, 0 or more.")))
    if not targets:
        errors.append(("targets", _("Give at least one target.")))
    if len(targets) > MAX_TARGETS:
        errors.append(
            ("targets", _("At most %(limit)d targets in one agreement.") % {"limit": MAX_TARGETS})
        )
    for n, spec in enumerate(targets, start=1):
        errors += _check_target(n, spec)
    seen: set[tuple[str, str]] = set()
    for n, spec in enumerate(targets, start=1):
        key = (spec.indicator, spec.basis)
        if key in seen and catalogue.scorable(spec.indicator):
            errors.append(
                (
                    f"t{n}",
                    _("Target %(n)d: %(name)s on this basis is already a target.")
                    % {"n": n, "name": catalogue.CATALOGUE[spec.indicator].label},
                )
            )
        seen.add(key)
    weights = [t.weight for t in targets]
    if targets and all(_finite(w) for w in weights) and _finite(total_weight):
        total = sum(float(w or 0) for w in weights)
        if abs(total - total_weight) > WEIGHT_TOLERANCE * max(1.0, total_weight):
            errors.append(
                (
                    "targets",
                    _("The weights add up to %(sum)g, not to the agreement's total of %(total)g.")
                    % {"sum": round(total, 6), "total": total_weight},
                )
            )
    return errors


def _snapshot(agreement: Agreement) -> dict[str, Any]:
    return {
        "orgunit": agreement.orgunit_id,
        "year": agreement.year,
        "total_weight": agreement.total_weight,
        "watch_line": agreement.watch_line,
        "targets": [asdict(spec) for spec in specs_of(agreement)],
    }


@transaction.atomic
def agreement_save(
    *,
    unit: OrgUnit,
    year: int,
    total_weight: float,
    watch_line: float,
    targets: list[TargetSpec],
    actor: Any,
    note: str = "",
) -> Agreement:
    """Set ``unit``'s agreement of ``year`` (created, or its targets replaced whole)."""
    if not may_set(actor, unit):
        raise PermissionError("may not set the targets of this unit")
    errors = agreement_check(
        year=year, total_weight=total_weight, watch_line=watch_line, targets=targets
    )
    if errors:
        raise TargetsRefused(errors)
    agreement = Agreement.objects.select_for_update().filter(orgunit=unit, year=year).first()
    before = _snapshot(agreement) if agreement is not None else None
    if agreement is None:
        agreement = Agreement(orgunit=unit, year=year)
    agreement.total_weight = float(total_weight)
    agreement.watch_line = float(watch_line)
    agreement.note = (note or "").strip()[:2000]
    agreement.updated_by = actor if getattr(actor, "pk", None) else None
    agreement.save()
    agreement.targets.all().delete()
    Target.objects.bulk_create(
        [
            Target(
                agreement=agreement,
                position=n,
                indicator=spec.indicator,
                basis=spec.basis,
                target_value=float(spec.target_value or 0),
                direction=spec.direction,
                weight=float(spec.weight or 0),
                rule=spec.rule,
                floor=spec.floor if spec.rule == Rule.LINEAR else None,
                lenient=bool(spec.lenient),
            )
            for n, spec in enumerate(targets, start=1)
        ]
    )
    audit_record(
        actor=actor,
        action="targets.agreement.saved",
        object_type="targets.agreement",
        object_id=agreement.pk,
        before=before,
        after=_snapshot(agreement),
    )
    return agreement


def specs_of(agreement: Agreement) -> list[TargetSpec]:
    """The agreement's targets as specs (what a copy starts from)."""
    return [
        TargetSpec(
            indicator=t.indicator,
            target_value=t.target_value,
            direction=t.direction,
            weight=t.weight,
            rule=t.rule,
            floor=t.floor,
            basis=t.basis,
            lenient=t.lenient,
        )
        for t in agreement.targets.order_by("position")
    ]


@transaction.atomic
def agreement_copy(*, unit: OrgUnit, year: int, actor: Any) -> Agreement:
    """Start ``unit``'s agreement of ``year`` as a copy of the year before's (one click);
    refused when there is none to copy or the year already has one."""
    if not may_set(actor, unit):
        raise PermissionError("may not set the targets of this unit")
    last = Agreement.objects.filter(orgunit=unit, year=year - 1).first()
    if last is None:
        raise TargetsRefused(
            [("year", _("There is no agreement of %(year)d to copy.") % {"year": year - 1})]
        )
    if Agreement.objects.filter(orgunit=unit, year=year).exists():
        raise TargetsRefused(
            [("year", _("%(year)d has an agreement already: change it instead.") % {"year": year})]
        )
    copied = agreement_save(
        unit=unit,
        year=year,
        total_weight=last.total_weight,
        watch_line=last.watch_line,
        targets=specs_of(last),
        actor=actor,
        note=last.note,
    )
    audit_record(
        actor=actor,
        action="targets.agreement.copied",
        object_type="targets.agreement",
        object_id=copied.pk,
        after={
            "from": last.pk,
            "from_year": last.year,
            "year": year,
            "targets": [asdict(s) for s in specs_of(last)],
        },
    )
    return copied
