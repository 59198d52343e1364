"""Benchmark: the statistical forms and the work summary of the 1,000,000-person county.

Limits from the issue: the forms of the county with all its townships and villages at most
10 s; the work summary with its charts, as Word and PDF, at most 20 s. The figures of the
year, the year before and the year's months are computed first (not timed): reports read
the indicator cache only. Each report is one ``renkou report`` process, so interpreter and
Django start-up are inside the time.
"""

from __future__ import annotations

from bench.common import OUT, median, renkou_cmd, run_measured
from bench.load import loaded_sqlite

FORMS_LIMIT = 10.0
SUMMARY_LIMIT = 20.0
COUNTY = "330122"
PERIOD = "2024"

COMPUTE = (
    "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'renkou.settings'); "
    "django.setup(); from renkou.analytics.cache import indicators_refresh; "
    "from renkou.analytics.periods import parse; "
    f"ids = ['{PERIOD}', '{int(PERIOD) - 1}'] + ['{PERIOD}%02d' % m for m in range(1, 13)]; "
    "r = indicators_refresh(periods=[parse(p) for p in ids]); print(r.stored, 'figures')"
)


def _time(args: list[str], env: dict[str, str | None], repeat: int) -> list[float]:
    return [run_measured(renkou_cmd(*args), env, capture=True).seconds for _ in range(repeat)]


def run(repeat: int, scale: str) -> list[str]:
    """Make the forms and the summary ``repeat`` times each; report medians against limits."""
    persons = 100_000 if scale == "small" else 1_000_000
    env = loaded_sqlite(persons)
    run_measured(renkou_cmd("migrate", "-v0"), env)
    computed = run_measured(renkou_cmd("shell", "-c", COMPUTE), env, capture=True)
    out = OUT / "reports"
    out.mkdir(parents=True, exist_ok=True)
    base = ["report", "--orgunit", COUNTY, "--period", PERIOD]
    forms = _time(
        [
            base[0],
            "forms",
            *base[1:],
            "--out",
            str(out / "forms.xlsx"),
            "--out",
            str(out / "forms.csv"),
        ],
        env,
        repeat,
    )
    summary = _time(
        [
            base[0],
            "summary",
            *base[1:],
            "--out",
            str(out / "summary.docx"),
            "--out",
            str(out / "summary.pdf"),
        ],
        env,
        repeat,
    )
    lines = [f"figures computed first in {computed.seconds:.1f} s ({computed.output.strip()})"]
    for name, times, limit in (
        ("forms (xlsx + csv)", forms, FORMS_LIMIT),
        ("summary (docx + pdf, 4 charts)", summary, SUMMARY_LIMIT),
    ):
        t = median(times)
        ok = t <= limit or scale == "small"
        lines.append(
            f"{name} {t:.1f} s (runs {', '.join(f'{x:.1f}' for x in times)})  "
            f"[limit {limit:.0f} s: {'ok' if ok else 'OVER LIMIT'}]"
        )
    return lines
