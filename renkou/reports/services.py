"""Making a report file: read the figures, lay them out, write atomically, audit.

``report_write`` is the one entry point used by the command, the background job and the
tests. A file appears at its path whole or not at all (``renkou.core.files``: written beside it,
fsynced, renamed);
every report made is recorded in the audit trail with its parameters.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _

from renkou.core.audit import audit_record
from renkou.core.files import file_write, scratch_directory
from renkou.reports import spreadsheet, summary
from renkou.reports.data import ReportError, language, report_data
from renkou.reports.forms import all_forms

KINDS = {"forms": (".xlsx", ".csv"), "summary": (".docx", ".pdf")}
Step = Callable[[float, str], None]


def _atomic(path: Path, write: Callable[[Path], Any]) -> Any:
    """Write ``path`` whole through the shared helper (temporary name, fsync, rename)."""
    return file_write(path, write).result


def report_write(
    *,
    kind: str,
    code: str,
    period: str,
    lang: str,
    outputs: list[Path],
    actor: Any,
    basis: str = "registered",
    step: Step | None = None,
) -> dict[str, Any]:
    """Write the report ``kind`` of unit ``code`` and ``period`` to each of ``outputs``
    (their suffixes choose the formats); return what was written. ReportError on bad input.
    """
    progress = step or (lambda fraction, name: None)
    started = time.monotonic()
    with translation.override(language(lang)):
        if kind not in KINDS:
            raise ReportError(_("unknown report: %(text)s (forms or summary)") % {"text": kind})
        for out in outputs:
            if out.suffix.lower() not in KINDS[kind]:
                raise ReportError(
                    _("%(kind)s are written as %(formats)s, not %(name)s")
                    % {"kind": kind, "formats": " / ".join(KINDS[kind]), "name": out.name}
                )
        if any(out.suffix.lower() == ".pdf" for out in outputs):
            summary.soffice()  # refuse before writing anything when the PDF cannot be made
        progress(0.05, "figures")
        data = report_data(code=code, period=period, basis=basis)
        as_of = summary._as_of(data)
        written: list[str] = []
        details: dict[str, Any] = {}
        if kind == "forms":
            forms = all_forms(data)
            for out in outputs:
                if out.suffix.lower() == ".xlsx":
                    _atomic(out, lambda p: spreadsheet.write_xlsx(forms, p, as_of=as_of))
                else:
                    # A byte-order mark so spreadsheet programs read the Chinese as UTF-8.
                    text = "\ufeff" + spreadsheet.write_csv(forms, as_of=as_of)
                    _atomic(out, lambda p, text=text: p.write_text(text, encoding="utf-8"))
                written.append(str(out))
            details["rows"] = {f.key: len(f.rows) for f in forms}
        else:
            charts_done: list[str] = []

            def chart_step(name: str) -> None:
                charts_done.append(name)
                progress(0.1 + 0.15 * len(charts_done), name)

            with scratch_directory("renkou-summary-") as work:
                docx = work / f"{data.unit.code}-{data.period.id}.docx"
                details = summary.write_docx(data, docx, step=chart_step)
                for out in outputs:
                    if out.suffix.lower() == ".docx":
                        _atomic(out, lambda p: p.write_bytes(docx.read_bytes()))
                    else:
                        progress(0.8, "pdf")
                        _atomic(out, lambda p: summary.docx_to_pdf(docx, p))
                    written.append(str(out))
        record = {
            "kind": kind,
            "orgunit": data.unit.code,
            "period": data.period.id,
            "basis": basis,
            "language": lang,
            "files": [Path(w).name for w in written],
            "data_as_of": as_of,
            "seconds": round(time.monotonic() - started, 2),
            **details,
        }
        audit_record(
            actor=actor,
            action="report.generate",
            object_type="orgunit",
            object_id=data.unit.code,
            after=record,
        )
    progress(1.0, "done")
    return record
