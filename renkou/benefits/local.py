"""Local programmes without code: a province or county defines a programme in YAML.

Definitions are read from ``DATA_DIR/programmes/*.yaml`` at start (``BenefitsConfig.ready``)
and refused, the server not starting, with every problem named by file, line, key and
reason in Chinese and English. A definition chooses its conditions from the catalogue
(``renkou.benefits.catalogue``), its amounts and dates, its payee and its period; the
format is described in docs/benefits.md.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from django.conf import settings
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from renkou.benefits.catalogue import CATALOGUE, CHOICES, Context, run
from renkou.benefits.facts import Facts
from renkou.benefits.programmes.base import Condition, Evaluation, month_starts, status

CODE = re.compile(r"^[a-z][a-z0-9_]{0,19}$")
BUILT_IN = ("rural_reward", "special_assistance", "only_child", "childcare")
PAYEES = ("person", "mother_or_father", "certificate_holder")
PERIODS = ("monthly", "yearly", "once")
KEYS = (
    "code",
    "labels",
    "payee",
    "period",
    "amount",
    "from",
    "until",
    "areas",
    "candidates",
    "conditions",
)
REQUIRED = ("code", "labels", "payee", "period", "amount", "from", "conditions")

PAYEE_TEXT: dict[str, Promise] = {
    "person": _("paid to the person"),
    "mother_or_father": _(
        "paid to the child's mother (or the father when no mother is linked), never to the child"
    ),
    "certificate_holder": _("paid to the holder of the only-child certificate"),
}


@dataclass(frozen=True)
class Problem:
    """One problem of a definition: where it is and why it is refused."""

    file: str
    line: int | None
    key: str
    reason: Promise
    params: tuple[tuple[str, Any], ...] = ()

    def text(self) -> str:
        reason = str(self.reason) % dict(self.params) if self.params else str(self.reason)
        where = {"file": self.file, "key": self.key or "-", "reason": reason}
        if self.line is None:
            return str(_("%(file)s, key %(key)s: %(reason)s")) % where
        return str(_("%(file)s, line %(line)s, key %(key)s: %(reason)s")) % {
            **where,
            "line": self.line,
        }


class LocalProgrammeError(Exception):
    """Definitions refused: every problem found, in the page's (or both) languages."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(problems)
        self.problems = problems

    def __str__(self) -> str:
        return "\n".join(p.text() for p in self.problems)

    def bilingual(self) -> str:
        parts = []
        for lang in ("zh-hans", "en"):
            with translation.override(lang):
                parts.append(str(self))
        return "\n".join(parts)


@dataclass(frozen=True)
class Step:
    """One condition of the catalogue with its parameters."""

    name: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class LocalProgramme:
    """A programme defined in a YAML file."""

    code: str
    labels: dict[str, str]
    payee: str
    period: str
    amounts: tuple[tuple[datetime.date, float], ...]  # (from, amount) in date order
    start: datetime.date
    until: datetime.date | None
    areas: tuple[str, ...]
    candidates: tuple[Step, ...]
    conditions: tuple[Step, ...]
    path: str

    def label(self) -> str:
        lang = translation.get_language() or settings.LANGUAGE_CODE
        return self.labels["zh"] if lang.startswith("zh") else self.labels["en"]

    def payee_text(self) -> str:
        return str(PAYEE_TEXT[self.payee])

    def enabled_in(self, code: str) -> bool:
        """Whether a cycle over the org unit ``code`` may run (within or above an area)."""
        return not self.areas or any(code.startswith(a) or a.startswith(code) for a in self.areas)

    def evaluate(self, facts: Facts, year: int) -> Evaluation:
        return _evaluate(self, facts, year)


# -- reading and validating -------------------------------------------------------------


def _line(root: Any, path: tuple[Any, ...]) -> int | None:
    """The line of the node at ``path`` (keys and indexes) in the composed YAML."""
    node, line = root, None
    for part in path:
        if isinstance(node, yaml.MappingNode):
            hit = next(((k, v) for k, v in node.value if k.value == part), None)
            if hit is None:
                break
            line, node = hit[0].start_mark.line + 1, hit[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(node.value):
                break
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            break
    if line is None and root is not None:
        line = root.start_mark.line + 1
    return line


class _Reader:
    def __init__(self, path: Path) -> None:
        self.path, self.name = path, path.name
        self.problems: list[Problem] = []
        self.root: Any = None

    def bad(self, path: tuple[Any, ...], reason: Promise, **params: Any) -> None:
        key = ".".join(str(p) for p in path)
        line = _line(self.root, path) if path else None
        self.problems.append(Problem(self.name, line, key, reason, tuple(params.items())))

    def date(self, data: dict, key: str, required: bool) -> datetime.date | None:
        value = data.get(key)
        if value is None:
            if required:
                self.bad((key,), _("required"))
            return None
        if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
            return value
        try:
            return datetime.date.fromisoformat(str(value))
        except ValueError:
            self.bad((key,), _("not a date (YYYY-MM-DD): %(value)s"), value=value)
            return None

    def steps(self, data: dict, key: str) -> tuple[Step, ...]:
        items = data.get(key)
        if items is None:
            return ()
        if not isinstance(items, list) or (key == "conditions" and not items):
            self.bad((key,), _("a list of conditions from the catalogue"))
            return ()
        out = []
        for i, item in enumerate(items):
            if isinstance(item, str):
                name, params = item, {}
            elif isinstance(item, dict) and len(item) == 1:
                name, params = next(iter(item.items()))
                params = {} if params is None else params
            else:
                self.bad((key, i), _("a condition is a name, or a name with its parameters"))
                continue
            if name not in CATALOGUE:
                self.bad(
                    (key, i),
                    _("unknown condition %(name)s; the catalogue: %(names)s"),
                    name=name,
                    names=", ".join(CATALOGUE),
                )
                continue
            if not isinstance(params, dict):
                self.bad((key, i), _("the parameters of %(name)s are a mapping"), name=name)
                continue
            types = CATALOGUE[name][1]
            good = True
            for p, value in params.items():
                if p not in types:
                    self.bad(
                        (key, i, name, p),
                        _("%(name)s has no parameter %(param)s; its parameters: %(params)s"),
                        name=name,
                        param=p,
                        params=", ".join(types) or "-",
                    )
                    good = False
                elif types[p] is int and (isinstance(value, bool) or not isinstance(value, int)):
                    self.bad((key, i, name, p), _("a whole number, not %(value)s"), value=value)
                    good = False
                elif (name, p) in CHOICES and value not in CHOICES[(name, p)]:
                    self.bad(
                        (key, i, name, p),
                        _("one of %(choices)s, not %(value)s"),
                        choices=", ".join(CHOICES[(name, p)]),
                        value=value,
                    )
                    good = False
            if good:
                out.append(Step(name, dict(params)))
        return tuple(out)

    def amounts(
        self, data: dict, start: datetime.date | None
    ) -> tuple[tuple[datetime.date, float], ...]:
        value = data.get("amount")
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if value <= 0:
                self.bad(("amount",), _("the amount is more than 0 yuan"))
            return ((start or datetime.date(1900, 1, 1), float(value)),)
        if isinstance(value, list) and value:
            out = []
            for i, item in enumerate(value):
                ok = isinstance(item, dict) and set(item) == {"from", "amount"}
                amount = item.get("amount") if ok else None
                if not ok or not isinstance(amount, (int, float)) or amount <= 0:
                    self.bad(
                        ("amount", i), _("each amount is {from: YYYY-MM-DD, amount: yuan > 0}")
                    )
                    continue
                day = self.date(item, "from", True)
                if day is not None:
                    out.append((day, float(amount)))
            return tuple(sorted(out))
        self.bad(("amount",), _("an amount in yuan, or a list of {from, amount}"))
        return ()

    def read(self) -> LocalProgramme | None:
        try:
            text = self.path.read_text(encoding="utf-8")
            self.root = yaml.compose(text)
            data = yaml.safe_load(text)
        except (OSError, UnicodeDecodeError) as exc:
            self.bad((), _("cannot be read: %(error)s"), error=exc)
            return None
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = mark.line + 1 if mark is not None else None
            self.problems.append(
                Problem(self.name, line, "", _("not valid YAML: %(error)s"), (("error", exc),))
            )
            return None
        if not isinstance(data, dict):
            self.bad((), _("a definition is a mapping of keys (code, labels, …)"))
            return None
        for key in data:
            if key not in KEYS:
                self.bad((key,), _("unknown key; the keys: %(keys)s"), keys=", ".join(KEYS))
        for key in REQUIRED:
            if key not in data:
                self.problems.append(Problem(self.name, None, key, _("required")))
        code = data.get("code")
        if "code" in data and (not isinstance(code, str) or not CODE.match(code)):
            self.bad(
                ("code",),
                _("a code is 1 to 20 characters: lower-case letters, digits and _"),
            )
        elif code in BUILT_IN:
            self.bad(("code",), _("%(code)s is a built-in programme"), code=code)
        labels = data.get("labels")
        if "labels" in data and (
            not isinstance(labels, dict)
            or set(labels) != {"zh", "en"}
            or not all(isinstance(v, str) and v.strip() for v in labels.values())
        ):
            self.bad(("labels",), _("labels are {zh: 中文名称, en: English name}"))
        payee, period = data.get("payee"), data.get("period")
        if "payee" in data and payee not in PAYEES:
            self.bad(("payee",), _("one of %(choices)s"), choices=", ".join(PAYEES))
        if "period" in data and period not in PERIODS:
            self.bad(("period",), _("one of %(choices)s"), choices=", ".join(PERIODS))
        start = self.date(data, "from", False)
        until = self.date(data, "until", False)
        if start and until and until < start:
            self.bad(("until",), _("the end is before the start"))
        amounts = self.amounts(data, start) if "amount" in data else ()
        areas = data.get("areas") or []
        if not isinstance(areas, list) or not all(
            isinstance(a, (str, int)) and str(a).isdigit() for a in areas
        ):
            self.bad(("areas",), _("a list of org-unit codes (digits)"))
            areas = []
        candidates = self.steps(data, "candidates")
        conditions = self.steps(data, "conditions")
        if "conditions" in data and data.get("conditions") is None:
            self.bad(("conditions",), _("a list of conditions from the catalogue"))
        if self.problems:
            return None
        assert isinstance(code, str) and isinstance(labels, dict) and start is not None
        return LocalProgramme(
            code=code,
            labels={"zh": labels["zh"].strip(), "en": labels["en"].strip()},
            payee=str(payee),
            period=str(period),
            amounts=amounts,
            start=start,
            until=until,
            areas=tuple(str(a) for a in areas),
            candidates=candidates,
            conditions=conditions,
            path=str(self.path),
        )


def read_folder(folder: Path) -> dict[str, LocalProgramme]:
    """Every definition of ``folder`` (``*.yaml``, by name), or ``LocalProgrammeError``."""
    problems: list[Problem] = []
    out: dict[str, LocalProgramme] = {}
    for path in sorted(folder.glob("*.yaml")) if folder.is_dir() else []:
        reader = _Reader(path)
        programme = reader.read()
        problems += reader.problems
        if programme is None:
            continue
        if programme.code in out:
            problems.append(
                Problem(
                    path.name,
                    _line(reader.root, ("code",)),
                    "code",
                    _("%(code)s is defined in %(other)s already"),
                    (("code", programme.code), ("other", Path(out[programme.code].path).name)),
                )
            )
            continue
        out[programme.code] = programme
    if problems:
        raise LocalProgrammeError(problems)
    return out


_LOADED: dict[str, LocalProgramme] = {}


def folder() -> Path:
    """Where the definitions are read from."""
    return Path(settings.DATA_DIR) / "programmes"


def reload(directory: Path | None = None) -> dict[str, LocalProgramme]:
    """Read the definitions again (from ``directory`` or the data directory's folder); on
    a problem nothing changes and ``LocalProgrammeError`` is raised."""
    loaded = read_folder(directory or folder())
    _LOADED.clear()
    _LOADED.update(loaded)
    return dict(_LOADED)


def local_programmes() -> dict[str, LocalProgramme]:
    """The local programmes in force in this process, by code."""
    return _LOADED


def paid_to_parent(code: str) -> bool:
    """Whether a local programme's entitlement is the child's, paid to the mother or father
    (like the built-in childcare subsidy: one child is never paid twice)."""
    p = _LOADED.get(code)
    return p is not None and p.payee == "mother_or_father"


# -- evaluation --------------------------------------------------------------------------


def _value_at(amounts: tuple[tuple[datetime.date, float], ...], starts: np.ndarray) -> np.ndarray:
    out = np.zeros(len(starts))
    for day, amount in amounts:
        out[starts >= np.datetime64(day.isoformat(), "D")] = amount
    return out


def _paid_before(code: str, persons: np.ndarray) -> np.ndarray:
    """The first month already owed or paid to each person by the programme (NaT: never)."""
    from renkou.benefits.choices import EntitlementStatus
    from renkou.benefits.models import Entitlement

    first: dict[int, datetime.date] = {}
    rows = (
        Entitlement.objects.filter(programme=code)
        .exclude(status__in=[EntitlementStatus.FAILED, EntitlementStatus.STOPPED])
        .values_list("person_id", "month")
    )
    for pid, month in rows:
        if pid not in first or month < first[pid]:
            first[pid] = month
    return np.array(
        [first[p].isoformat() if p in first else "NaT" for p in persons.tolist()],
        dtype="datetime64[D]",
    )


def _context(facts: Facts, starts: np.ndarray, payee: str, fam: Any = None) -> Context:
    n = len(facts.pid)
    holders, first = np.unique(facts.cert_holder, return_index=True)
    keep = holders >= 0
    cert_of = np.full(n, -1, np.int64)
    cert_of[holders[keep]] = first[keep]
    if payee == "certificate_holder":
        cand = holders[keep]
        child = facts.cert_child[first[keep]]
    else:
        cand = np.arange(n)
        child = np.full(n, -1, np.int64)
    ctx = Context(facts, starts, cand, child, cert_of[cand], fam)
    if payee == "person":
        ctx.child = ctx.family.only_child[cand]
    elif payee == "mother_or_father":
        ctx.child = cand
    return ctx


def _select(ctx: Context, keep: np.ndarray) -> Context:
    return Context(
        ctx.facts, ctx.starts, ctx.cand[keep], ctx.child[keep], ctx.cert[keep], ctx._families
    )


def _evaluate(p: LocalProgramme, facts: Facts, year: int) -> Evaluation:
    starts = month_starts(year)
    ctx = _context(facts, starts, p.payee)
    keep = np.ones(ctx.n, bool)
    if p.areas:
        keep &= np.any([np.char.startswith(facts.orgunit[ctx.cand], a) for a in p.areas], axis=0)
    for step in p.candidates:
        _cond, ok = run(step.name, ctx, step.params)
        keep &= ok.any(axis=1)
    ctx = _select(ctx, keep)
    n = ctx.n
    in_force = starts >= np.datetime64(p.start.isoformat(), "D")
    if p.until is not None:
        in_force &= starts <= np.datetime64(p.until.isoformat(), "D")
    ok = np.repeat(in_force[None, :], n, axis=0)
    conditions: list[Condition] = []
    recipient = ctx.cand
    if p.payee == "mother_or_father":
        parent = np.where(
            facts.mother[ctx.cand] >= 0, facts.mother[ctx.cand], facts.father[ctx.cand]
        )
        has = parent >= 0
        conditions.append(Condition("has_guardian", status(has, ~has)))
        ok &= has[:, None]
        # the entitlement is the child's (twins are two); the payment file pays the parent
    for step in p.conditions:
        cond, holds = run(step.name, ctx, step.params)
        conditions.append(cond)
        ok &= holds
    if p.period == "once":
        before = _paid_before(p.code, facts.pid[recipient])
        fresh = np.isnat(before)
        conditions.append(Condition("paid_once", status(fresh), date=before))
        ok &= fresh[:, None]
    per_month = _value_at(p.amounts, starts)
    amounts = np.where(ok, per_month, 0.0)
    if p.period in ("yearly", "once"):
        # the whole amount in the first month the conditions hold together
        first = np.argmax(ok, axis=1)
        lump = np.zeros_like(amounts)
        paid = ok.any(axis=1)
        lump[np.flatnonzero(paid), first[paid]] = per_month[first[paid]]
        amounts = lump
    return Evaluation(
        programme=p.code,
        year=year,
        subject=ctx.cand,
        recipient=recipient,
        amounts=amounts,
        category=np.full(n, ""),
        conditions=conditions,
    )
