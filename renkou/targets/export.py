"""A scorecard as an xlsx workbook: the ranking, each unit's targets, and the watch list."""

from __future__ import annotations

import io

from django.utils.translation import gettext as _

from renkou.analytics.labels import period_text
from renkou.core.cells import workbook, write_cell
from renkou.targets import catalogue
from renkou.targets.display import status_label
from renkou.targets.selectors import Scorecard


def scorecard_xlsx(card: Scorecard) -> bytes:
    """Three sheets: ranking, scores by target, watch list (text cells stay text)."""
    buffer = io.BytesIO()
    book = workbook(buffer, {"in_memory": True})
    bold = book.add_format({"bold": True})
    agreement = card.agreement
    title = f"{agreement.orgunit.name} {agreement.year} · {period_text(card.period)}"

    ranking = book.add_worksheet(_("Ranking")[:31])
    write_cell(ranking, 0, 0, title, bold)
    header = [
        _("Rank"),
        _("Unit"),
        _("Code"),
        _("Score"),
        _("Targets with a figure"),
        _("On the watch list"),
    ]
    for c, text in enumerate(header):
        write_cell(ranking, 1, c, text, bold)
    for r, row in enumerate(card.rows, start=2):
        values = [
            row.rank,
            row.unit.name,
            row.unit.code,
            None if row.score.total is None else round(row.score.total, 2),
            f"{row.score.scored}/{len(card.targets)}",
            _("yes") if row.watched else _("no"),
        ]
        for c, value in enumerate(values):
            write_cell(ranking, r, c, value)
    ranking.set_column(1, 1, 24)

    detail = book.add_worksheet(_("Targets")[:31])
    header = [
        _("Unit"),
        _("Indicator"),
        _("Basis"),
        _("Target"),
        _("Floor"),
        _("Weight"),
        _("Value"),
        _("Interval low"),
        _("Interval high"),
        _("Points"),
        _("Assessment"),
    ]
    for c, text in enumerate(header):
        write_cell(detail, 0, c, text, bold)
    r = 1
    for row in card.rows:
        for target, outcome in zip(card.targets, row.score.targets, strict=True):
            m = outcome.measure
            values = [
                row.unit.name,
                catalogue.CATALOGUE[target.indicator].label,
                target.get_basis_display(),
                target.target_value,
                target.floor,
                target.weight,
                m.value,
                m.low,
                m.high,
                None if outcome.points is None else round(outcome.points, 4),
                status_label(outcome.status),
            ]
            for c, value in enumerate(values):
                write_cell(detail, r, c, value)
            r += 1
    detail.set_column(0, 1, 24)

    watch = book.add_worksheet(_("Watch list")[:31])
    for c, text in enumerate([_("Unit"), _("Score"), _("Reasons")]):
        write_cell(watch, 0, c, text, bold)
    for r, row in enumerate(card.watch_list, start=1):
        total = None if row.score.total is None else round(row.score.total, 2)
        for c, value in enumerate([row.unit.name, total, " ".join(row.reasons)]):
            write_cell(watch, r, c, value)
    watch.set_column(2, 2, 80)
    book.close()
    return buffer.getvalue()
