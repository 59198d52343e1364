"""Roster kinds: each declares its canonical columns, which are required, and header synonyms.

A file's headers are mapped to canonical columns automatically: exact synonym first, then
a synonym contained in the header (``母亲身份证号码`` contains ``母亲身份证``). Every column
of the file is reported as mapped, guessed or ignored. A mapping made by containment, a
required column not found, or an ignored column that looks like an identity number, a name
or a date (``母亲证件号``) makes the mapping *unsure*.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# Value types, validated and normalised in exchange.values.
TEXT, ID, DATE, SEX, CODE = "text", "id", "date", "sex", "code"


@dataclass(frozen=True)
class Column:
    """One canonical column of a roster kind."""

    name: str
    type: str
    required: bool
    synonyms: tuple[str, ...]


@dataclass(frozen=True)
class RosterKind:
    """A kind of department roster (hospitals, police, civil affairs, schools)."""

    code: str
    label_zh: str
    label_en: str
    columns: tuple[Column, ...]
    event: str = ""  # the register event a row reports, if any

    def column(self, name: str) -> Column:
        """The canonical column called ``name``."""
        return next(c for c in self.columns if c.name == name)


NAME = ("姓名", "名字", "人员姓名")
ID_NUMBER = ("身份证号", "身份证号码", "公民身份号码", "证件号码", "身份证件号码", "证件号")
SEX_ = ("性别",)
BIRTH = ("出生日期", "出生年月", "出生年月日", "生日")


def _c(name: str, type_: str, required: bool, *synonyms: str) -> Column:
    return Column(name, type_, required, synonyms)


KINDS: dict[str, RosterKind] = {
    k.code: k
    for k in [
        RosterKind(
            "hospital_births",
            "医院出生名册",
            "hospital births",
            (
                _c("certificate_no", TEXT, False, "出生医学证明编号", "出生证编号", "出生证号"),
                _c("birth_date", DATE, True, "出生日期", "出生时间", "出生日期时间", "分娩日期"),
                _c("sex", SEX, True, "婴儿性别", "新生儿性别", "性别"),
                _c("name", TEXT, False, "婴儿姓名", "新生儿姓名", "姓名"),
                _c("mother_name", TEXT, True, "母亲姓名", "产妇姓名"),
                _c(
                    "mother_id",
                    ID,
                    False,
                    "母亲身份证号",
                    "母亲身份证号码",
                    "产妇身份证号",
                    "母亲证件号码",
                    "母亲证件号",
                ),
                _c("father_name", TEXT, False, "父亲姓名"),
                _c("father_id", ID, False, "父亲身份证号", "父亲身份证号码"),
                _c("address", TEXT, False, "家庭住址", "住址", "现住址", "地址"),
            ),
            event="birth",
        ),
        RosterKind(
            "hospital_deaths",
            "医院死亡名册",
            "hospital deaths",
            (
                _c("name", TEXT, True, *NAME, "死者姓名"),
                _c("id_number", ID, False, *ID_NUMBER),
                _c("sex", SEX, False, *SEX_),
                _c("birth_date", DATE, False, *BIRTH),
                _c("death_date", DATE, True, "死亡日期", "死亡时间"),
                _c("address", TEXT, False, "家庭住址", "住址", "地址"),
            ),
            event="death",
        ),
        RosterKind(
            "police_register",
            "公安入户花名册",
            "police household register",
            (
                _c("name", TEXT, True, *NAME),
                _c("id_number", ID, False, *ID_NUMBER),
                _c("sex", SEX, True, *SEX_),
                _c("birth_date", DATE, True, *BIRTH),
                _c("ethnicity", TEXT, False, "民族"),
                _c("address", TEXT, False, "户籍地址", "户籍地", "住址", "地址"),
                _c("registered_on", DATE, False, "登记日期", "入户日期", "落户日期"),
                _c("reason", TEXT, False, "登记原因", "入户原因", "落户原因"),
            ),
        ),
        RosterKind(
            "police_deaths",
            "死亡注销名册",
            "police deaths and cancellations",
            (
                _c("name", TEXT, True, *NAME),
                _c("id_number", ID, True, *ID_NUMBER),
                _c("death_date", DATE, True, "死亡日期"),
                _c("cancelled_on", DATE, False, "注销日期"),
            ),
            event="death",
        ),
        RosterKind(
            "school_enrolment",
            "入学名册",
            "school enrolment",
            (
                _c("name", TEXT, True, "学生姓名", "幼儿姓名", "儿童姓名", *NAME),
                _c("sex", SEX, True, *SEX_),
                _c("birth_date", DATE, True, *BIRTH),
                _c("id_number", ID, False, *ID_NUMBER),
                _c("guardian_name", TEXT, False, "监护人姓名", "家长姓名", "监护人"),
            ),
        ),
        RosterKind(
            "civil_marriages",
            "婚姻登记",
            "civil-affairs marriages and divorces",
            (
                _c("husband_name", TEXT, True, "男方姓名"),
                _c("husband_id", ID, True, "男方身份证号", "男方身份证号码", "男方证件号码"),
                _c("wife_name", TEXT, True, "女方姓名"),
                _c("wife_id", ID, True, "女方身份证号", "女方身份证号码", "女方证件号码"),
                _c("registered_on", DATE, True, "登记日期"),
                _c("act", TEXT, True, "登记类别", "业务类型", "类别"),
            ),
            event="marriage",
        ),
    ]
}

_SPACE = re.compile(r"[\s\u3000:：*＊()（）]+")
# A column under a group header (two-level headers) is named ``group/header``; the group
# says whose value the column holds: 产妇信息/姓名 is the mother's name.
GROUP_SEPARATOR = "/"
_GROUP_ROLES = (
    (("产妇", "母亲", "孕妇"), "母亲"),
    (("父亲",), "父亲"),
    (("男方",), "男方"),
    (("女方",), "女方"),
    (("新生儿", "婴儿", "儿童", "学生", "死者", "本人", "人员", "基本"), ""),
    (("监护人", "家长"), "监护人"),
)
# Headers of an ignored column that make the mapping unsure: it may hold an identity
# number, a name or a date that the import would drop.
_LOOKS_LIKE = {
    "id": ("身份证", "证件", "证号", "身份号"),
    "name": ("姓名", "名字"),
    "date": ("日期", "年月", "生日", "时间"),
}
# Headers recognised and knowingly not imported: they never make the mapping unsure.
NOT_IMPORTED = frozenset(
    {"母亲出生日期", "父亲出生日期", "母亲年龄", "父亲年龄", "年龄", "序号", "编号", "备注"}
)
_ID_LIKE = re.compile(r"^\d{15}$|^\d{17}[\dXx]$|^\d{6}[-\s]?\d{8}[-\s]?\d{3}[\dXx]$")


def clean_header(text: str) -> str:
    """A header cell without spaces, colons, asterisks and brackets (``* 姓 名：`` → ``姓名``);
    a grouped header ``产妇信息/姓名`` in the form its synonyms are written (``母亲姓名``)."""
    text = str(text or "")
    if GROUP_SEPARATOR in text:
        group, _sep, header = text.partition(GROUP_SEPARATOR)
        for words, role in _GROUP_ROLES:
            if any(w in group for w in words):
                return role + _SPACE.sub("", header)
        return _SPACE.sub("", header)
    return _SPACE.sub("", text)


def is_group_header(text: str) -> bool:
    """Whether a cell above the header row reads as a group of columns (产妇信息, 男方情况)
    rather than a title or a note (填报单位：…)."""
    text = _SPACE.sub("", str(text or ""))
    if any(w in text for words, _role in _GROUP_ROLES for w in words):
        return True
    return text.endswith(("信息", "情况", "资料"))


def looks_like(header: str, samples: list[str] | None = None) -> str:
    """``id``, ``name`` or ``date`` when a column's header (or its values: 18-digit numbers)
    suggests it holds one; ``""`` otherwise."""
    cleaned = clean_header(header)
    if cleaned in NOT_IMPORTED:
        return ""
    if cleaned in ("出生", "出生年", "出生年份"):
        return "date"
    for what, words in _LOOKS_LIKE.items():
        if any(w in cleaned for w in words):
            return what
    if samples and any(_ID_LIKE.match(s.strip()) for s in samples if s):
        return "id"
    return ""


@dataclass
class ColumnFate:
    """What became of one column of the file: ``mapped`` (exact header), ``guessed``
    (header containing a synonym, to confirm) or ``ignored``; ``looks_like`` for an
    ignored column that seems to hold an identity number, a name or a date."""

    index: int
    header: str
    fate: str
    column: str = ""
    looks_like: str = ""


@dataclass
class HeaderMapping:
    """Which file column (0-based index) holds each canonical column, and what is doubtful."""

    columns: dict[str, int] = field(default_factory=dict)
    guessed: list[str] = field(default_factory=list)  # mapped by containment, to confirm
    missing: list[str] = field(default_factory=list)  # required and not found
    ignored: list[str] = field(default_factory=list)  # file headers mapped to nothing
    fates: list[ColumnFate] = field(default_factory=list)  # every column of the file

    @property
    def doubtful(self) -> list[str]:
        """Ignored headers that look like an identity number, a name or a date."""
        return [f.header for f in self.fates if f.fate == "ignored" and f.looks_like]

    @property
    def unsure(self) -> bool:
        """Whether a person should confirm the mapping before import."""
        return bool(self.guessed or self.missing or self.doubtful)


def _report(
    mapping: HeaderMapping, headers: list[str], samples: list[list[str]] | None
) -> HeaderMapping:
    """Fill ``ignored`` and ``fates``: every column of the file and what became of it."""
    by_index = {i: name for name, i in mapping.columns.items()}
    mapping.fates = []
    for index, header in enumerate(headers):
        if index in by_index:
            name = by_index[index]
            fate = "guessed" if name in mapping.guessed else "mapped"
            mapping.fates.append(ColumnFate(index, header, fate, name))
        elif clean_header(header):
            values = [r[index] for r in samples or [] if index < len(r)]
            mapping.fates.append(
                ColumnFate(index, header, "ignored", "", looks_like(header, values))
            )
    mapping.ignored = [f.header for f in mapping.fates if f.fate == "ignored"]
    return mapping


def map_headers(
    kind: RosterKind, headers: list[str], samples: list[list[str]] | None = None
) -> HeaderMapping:
    """Map a file's header cells to ``kind``'s canonical columns, in any order.

    ``samples`` (a few data rows as text) let an ignored column whose values are identity
    numbers make the mapping unsure even under a header that says nothing.
    """
    cleaned = [clean_header(h) for h in headers]
    mapping = HeaderMapping()
    taken: set[int] = set()
    # Exact synonyms first, over all columns, so that 性别 is not taken by containment
    # before 婴儿性别 finds its own header.
    for col in kind.columns:
        for syn in col.synonyms:
            if syn in cleaned and cleaned.index(syn) not in taken:
                mapping.columns[col.name] = cleaned.index(syn)
                taken.add(cleaned.index(syn))
                break
    for col in kind.columns:
        if col.name in mapping.columns:
            continue
        for index, header in enumerate(cleaned):
            if index not in taken and header and any(s in header for s in col.synonyms):
                mapping.columns[col.name] = index
                mapping.guessed.append(col.name)
                taken.add(index)
                break
    mapping.missing = [c.name for c in kind.columns if c.required and c.name not in mapping.columns]
    return _report(mapping, headers, samples)


def headers_looked_for(kind: RosterKind, name: str) -> str:
    """The headers that would be read as canonical column ``name`` (for messages)."""
    return "、".join(kind.column(name).synonyms)


def header_score(kind: RosterKind, cells: list[str]) -> int:
    """How many of ``cells`` are exact synonyms of the kind's columns (finds the header row)."""
    synonyms = {s for c in kind.columns for s in c.synonyms}
    return sum(1 for cell in cells if clean_header(cell) in synonyms)


def confirmed_mapping(
    kind: RosterKind, headers: list[str], columns: dict[str, int]
) -> HeaderMapping:
    """The mapping a person confirmed: canonical column → file column index (-1: not in file).

    Unknown canonical names and indexes outside the header are ignored; a required column
    left unmapped is reported in ``missing``.
    """
    known = {c.name for c in kind.columns}
    mapping = HeaderMapping()
    taken: set[int] = set()
    for name, index in columns.items():
        if name in known and 0 <= index < len(headers) and index not in taken:
            mapping.columns[name] = index
            taken.add(index)
    mapping.missing = [c.name for c in kind.columns if c.required and c.name not in mapping.columns]
    return _report(mapping, headers, None)
