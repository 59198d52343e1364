"""The "office" noise model of ``synth rosters --noise office``: rosters as county offices
really receive them (issue 17), beside the original model in ``rosters.py`` (the default,
unchanged so that old figures stay comparable).

Each roster kind is written twice with the same rows: ``KIND.xlsx`` in the shape offices
send (two title rows above the header, a two-level header 新生儿信息 / 产妇信息 for hospital
births, a totals row 合计 at the bottom; identity numbers as text, except those Excel
truncated, stored as numbers) and ``KIND.csv`` with a plain one-row header (so that the
linkage can be measured apart from the reading of the workbook). ``truth.csv`` has one row
per data row of each file (file, row = the spreadsheet row number, person_ref or empty),
``noise.csv`` the kinds of noise applied to each row (file, row, noise; ``;``-separated).

Noise, at the rates of ``RATES`` (per row that can have it):

- identity numbers: one wrong digit, two adjacent characters transposed, dashes or spaces
  inside, truncated by Excel to 15 significant digits (a number in the xlsx, ``3.30122E+17``
  in the csv), a number whose birth date disagrees with the row's (the row's day and month
  swapped) or whose sex disagrees with the row's (the row's sex mistyped); missing for
  ``missing_id`` of rows as in the old model;
- names: homophone and look-alike typos, traditional characters (陳 張 楊 …), a space
  between surname and given name, a middle dot or space inside the name;
- dates: ``1990-05-03``, ``1990年5月3日``, ``19900503``, ``90-05-03``, ``1990. 5. 3``,
  ``1990/5/3`` and real date cells in the xlsx; the hospital's death list has 出生年月 with
  the month only (``1990.05``, ``1990年5月``, ``199005``). Two-digit years follow the rule
  "yy not after the county's last year → 20yy, else 19yy", and are written only for years
  that rule gives back;
- sex: 男生/女生 on school lists, 男性/女性, and 未知 (unknown: the row is still the person);
- namesakes: people not in the register with a register person's name and sex and a birth
  date at least two years from that of every register person of that name and sex (most
  without an identity number, some with one of their own), beside the strangers, listed-
  twice rows and unheard-of events of the old model.

The synthetic county has no compound surnames (its surname table has none), so the split
compound surname (上 官海祥) appears only as the surname/given-name space above.
Deterministic by seed: the same seed gives byte-identical files.
"""

from __future__ import annotations

import csv
import io
import random
import zipfile
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from renkou.core.idnumber import check_character
from renkou.core.tabular import find_file, read_table
from renkou.synth.rosters import TYPOS, _adult_stranger, _child_stranger, _stranger

RATES = {
    # identity numbers (per row with a number)
    "id_digit": 0.006,
    "id_transposed": 0.005,
    "id_dashes": 0.005,
    "id_excel": 0.005,
    "id_birth_disagrees": 0.004,
    "id_sex_disagrees": 0.003,
    # names (per named row)
    "name_homophone": 0.05,
    "name_traditional": 0.03,
    "name_space": 0.01,
    "name_dot": 0.005,
    # sex (per row with a sex)
    "sex_unknown": 0.005,
    "sex_long": 0.05,  # 男性/女性
    "sex_pupil": 0.3,  # 男生/女生, on school lists only
    # rows (per row of the kinds with names and birth dates, and per roster)
    "namesake": 0.02,
    "namesake_with_id": 0.3,  # of namesakes
    "duplicate": 0.01,
    "stranger": 0.03,
}
ID_KINDS = (
    "id_digit",
    "id_transposed",
    "id_dashes",
    "id_excel",
    "id_birth_disagrees",
    "id_sex_disagrees",
)
NAME_KINDS = ("name_homophone", "name_traditional", "name_space", "name_dot")
# Date spellings of a typed date and their shares (the xlsx keeps "cell" as a date cell).
DATE_STYLES = (
    ("iso", 0.5),
    ("cjk", 0.12),
    ("compact", 0.1),
    ("two_digit", 0.05),
    ("dotted", 0.05),
    ("slash", 0.03),
    ("cell", 0.15),
)
MONTH_STYLES = ("dot", "cjk", "compact")
TITLE_ROWS = 2
TOTALS = "合计"
FIXED_TIME = (2025, 12, 31, 0, 0, 0)

# Simplified → traditional for characters of the synthetic county's names (generator side,
# written by hand on purpose: the reader's normalisation uses a maintained table, and the
# tests check one against the other).
TRADITIONAL = dict(
    zip(
        "陈张杨刘黄赵吴孙马郑冯罗龙叶许韩邓钟蓝谢吕苏卢蒋贾钱谭邹陆顾汤乔贺赖龚万阎萧"
        "华国军伟丽红兰凤东涛飞鹏晓梦诗书锦宁瑶轩杰强刚辉锋荣兴发贵财云莲艳颖洁静凯锐"
        "泽铭诚诺语阳剑亚长学爱银宝义丰"
        "宾庆",
        "陳張楊劉黃趙吳孫馬鄭馮羅龍葉許韓鄧鍾藍謝呂蘇盧蔣賈錢譚鄒陸顧湯喬賀賴龔萬閻蕭"
        "華國軍偉麗紅蘭鳳東濤飛鵬曉夢詩書錦寧瑤軒傑強剛輝鋒榮興發貴財雲蓮艷穎潔靜凱銳"
        "澤銘誠諾語陽劍亞長學愛銀寶義豐"
        "賓慶",
        strict=True,
    )
)
SEX_ZH = {"M": "男", "F": "女"}


class _Rows:
    """The rows of one roster: cells, the true person_ref ("" for none), the noise kinds."""

    def __init__(self) -> None:
        self.rows: list[tuple[list[Any], str, list[str]]] = []

    def add(self, cells: list[Any], ref: str, noise: list[str]) -> None:
        self.rows.append((cells, ref, noise))


class _Noise:
    """The random choices of the office model, from one seeded generator."""

    def __init__(self, rng: random.Random, end_year: int) -> None:
        self.rng = rng
        self.end_year = end_year

    def hit(self, kind: str) -> bool:
        return self.rng.random() < RATES[kind]

    # --- identity numbers ---------------------------------------------------------------
    def id_damage(self) -> str | None:
        """At most one kind of damage for a row's number (rates add up; one draw)."""
        u = self.rng.random()
        for kind in ID_KINDS:
            if u < RATES[kind]:
                return kind
            u -= RATES[kind]
        return None

    def damage(self, number: str, kind: str) -> Any:
        """The number as written with damage ``kind`` (the id_* kinds that change it)."""
        rng = self.rng
        if kind == "id_digit":
            i = rng.randrange(17)
            digit = rng.choice([d for d in "0123456789" if d != number[i]])
            return number[:i] + digit + number[i + 1 :]
        if kind == "id_transposed":
            spots = [i for i in range(17) if number[i] != number[i + 1]]
            i = rng.choice(spots)
            return number[:i] + number[i + 1] + number[i] + number[i + 2 :]
        if kind == "id_dashes":
            sep = rng.choice(["-", " "])
            if rng.random() < 0.5:
                return sep.join([number[:6], number[6:14], number[14:]])
            return sep.join(number[i : i + 4] for i in range(0, 18, 4))
        if kind == "id_excel":
            # Excel keeps 15 significant digits of a number typed into a General cell.
            return float(number[:15] + "000")
        return number

    # --- names --------------------------------------------------------------------------
    def name(self, name: str, noise: list[str]) -> str:
        rng = self.rng
        if self.hit("name_homophone"):
            spots = [i for i, ch in enumerate(name) if ch in TYPOS]
            if spots:
                i = rng.choice(spots)
                name = name[:i] + TYPOS[name[i]] + name[i + 1 :]
                noise.append("name_homophone")
        if self.hit("name_traditional") and any(ch in TRADITIONAL for ch in name):
            name = "".join(TRADITIONAL.get(ch, ch) for ch in name)
            noise.append("name_traditional")
        if len(name) >= 2 and self.hit("name_space"):
            name = name[0] + rng.choice([" ", "  ", "\u3000"]) + name[1:]
            noise.append("name_space")
        elif len(name) >= 3 and self.hit("name_dot"):
            i = rng.randrange(1, len(name))
            name = name[:i] + rng.choice(["·", "•", " "]) + name[i:]
            noise.append("name_dot")
        return name

    # --- sex and dates ------------------------------------------------------------------
    def sex(self, sex: str, noise: list[str], pupil: bool = False) -> str:
        if self.hit("sex_unknown"):
            noise.append("sex_unknown")
            return "未知"
        if pupil and self.hit("sex_pupil"):
            noise.append("sex_pupil")
            return SEX_ZH[sex] + "生"
        if self.hit("sex_long"):
            noise.append("sex_long")
            return SEX_ZH[sex] + "性"
        return SEX_ZH[sex]

    def date(self, iso: str, noise: list[str]) -> Any:
        """A date as a clerk types it (a ``date`` for the xlsx's date cells)."""
        y, m, d = int(iso[:4]), int(iso[5:7]), int(iso[8:10])
        styles, weights = zip(*DATE_STYLES, strict=True)
        style = self.rng.choices(styles, weights)[0]
        if style == "two_digit" and not (self.end_year - 99 < y <= self.end_year):
            style = "iso"
        if style != "iso":
            noise.append(f"date_{style}")
        return {
            "iso": f"{y}-{m:02d}-{d:02d}",
            "cjk": f"{y}年{m}月{d}日",
            "compact": f"{y}{m:02d}{d:02d}",
            "two_digit": f"{y % 100:02d}-{m:02d}-{d:02d}",
            "dotted": f"{y}. {m}. {d}",
            "slash": f"{y}/{m}/{d}",
            "cell": date(y, m, d) if style == "cell" else None,
        }[style]

    def month(self, iso: str, noise: list[str]) -> str:
        """A birth date under 出生年月: the year and month only."""
        y, m = int(iso[:4]), int(iso[5:7])
        style = self.rng.choice(MONTH_STYLES)
        noise.append(f"month_{style}")
        return {"dot": f"{y}.{m:02d}", "cjk": f"{y}年{m}月", "compact": f"{y}{m:02d}"}[style]


def _swapped(iso: str) -> str | None:
    """The date with day and month swapped, when that is another valid date."""
    y, m, d = iso[:4], iso[5:7], iso[8:10]
    if int(d) > 12 or d == m:
        return None
    return f"{y}-{d}-{m}"


def _id_cell(n: _Noise, number: str, noise: list[str], *, row_fields: bool = False) -> Any:
    """The number's cell with at most one kind of damage; ``row_fields`` when the row has
    its own birth date and sex (else the kinds that make the row disagree are not drawn)."""
    if not number:
        return ""
    kind = n.id_damage()
    if kind in ("id_birth_disagrees", "id_sex_disagrees") and not row_fields:
        return number
    if kind == "id_excel" and number.endswith("X"):
        kind = "id_dashes"  # Excel keeps a number ending in X as text
    if kind:
        noise.append(kind)
        return n.damage(number, kind)
    return number


def _person_fields(
    n: _Noise, p: dict[str, str], number: str, noise: list[str], *, pupil: bool = False
) -> tuple[str, str, str, Any]:
    """Name, sex, birth date (ISO, before the spelling noise) and number cell of a register
    person, with the number's damage; a number disagreeing with the row changes the row."""
    name = n.name(p["name"], noise)
    sex, birth = p["sex"], p["birth_date"]
    cell = _id_cell(n, number, noise, row_fields=True)
    if "id_birth_disagrees" in noise:
        swapped = _swapped(birth)
        if swapped:
            birth = swapped
        else:  # no other valid date with day and month swapped: one wrong digit instead
            noise[noise.index("id_birth_disagrees")] = "id_digit"
            cell = n.damage(number, "id_digit")
    if "id_sex_disagrees" in noise:
        sex = "F" if sex == "M" else "M"
    return name, n.sex(sex, noise, pupil), birth, cell


def _namesakes(
    n: _Noise,
    persons: list[dict[str, str]],
    count: int,
    taken: set[str],
    born_between: tuple[str, str],
) -> list[tuple[str, str, str, str]]:
    """``count`` people not in the register: (name, sex M/F, birth ISO, number or ""), each
    with a register person's name and sex and a birth date in ``born_between`` at least two
    years from every register person of that name and sex."""
    rng = n.rng
    by_name: dict[tuple[str, str], list[date]] = {}
    for p in persons:
        if p.get("name") and p.get("birth_date"):
            by_name.setdefault((p["name"], p["sex"]), []).append(
                date.fromisoformat(p["birth_date"])
            )
    keys = sorted(by_name)
    low, high = (date.fromisoformat(x) for x in born_between)
    span = (high - low).days
    out: list[tuple[str, str, str, str]] = []
    tries = 0
    while len(out) < count and keys and tries < count * 50:
        tries += 1
        name, sex = keys[rng.randrange(len(keys))]
        born = low + timedelta(days=rng.randrange(span + 1))
        if any(abs((born - b).days) < 731 for b in by_name[(name, sex)]):
            continue
        number = ""
        if rng.random() < RATES["namesake_with_id"]:
            while True:
                seq = rng.randrange(0, 1000, 2) + (1 if sex == "M" else 0)
                first17 = f"330122{born:%Y%m%d}{seq:03d}"[:17]
                number = first17 + check_character(first17)
                if number not in taken:
                    taken.add(number)
                    break
        out.append((name, sex, born.isoformat(), number))
    return out


def write_office_rosters(
    county: Path,
    out: Path,
    *,
    seed: int,
    share: float = 0.1,
    missing_id: float = 0.1,
    formats: tuple[str, ...] = ("xlsx", "csv"),
) -> dict[str, int]:
    """Write the office-noise rosters of ``county`` to ``out``; returns data rows per kind."""
    rng = random.Random(seed)
    persons_file = find_file(county, "persons") if county.is_dir() else county
    if persons_file is None:
        raise ValueError(f"no persons file in {county}")
    persons = read_table(persons_file).to_pylist()
    events_file = find_file(county, "events") if county.is_dir() else None
    events = read_table(events_file).to_pylist() if events_file else []
    newest = max((p["birth_date"] for p in persons if p.get("birth_date")), default="2025-01-01")
    n = _Noise(rng, int(newest[:4]))
    taken = {p["id_number"] for p in persons if p.get("id_number")}
    by_ref = {p["person_ref"]: p for p in persons}
    alive = [p for p in persons if p.get("status", "alive") == "alive"]
    dead = [p for p in persons if p.get("status") == "dead" and p.get("death_date")]
    out.mkdir(parents=True, exist_ok=True)
    rosters: dict[str, tuple[list[str], _Rows]] = {}

    def number_of(p: dict[str, str]) -> str:
        return "" if rng.random() < missing_id or not p.get("id_number") else p["id_number"]

    # Police household register.
    rows = _Rows()
    for p in rng.sample(alive, max(1, int(len(alive) * share))):
        noise: list[str] = []
        name, sex, birth, cell = _person_fields(n, p, number_of(p), noise)
        rows.add([name, sex, n.date(birth, noise), cell], p["person_ref"], noise)
    _extras(n, rows, persons, taken, missing_id, ("1950-01-01", f"{n.end_year}-06-30"))
    rosters["police_register"] = (["姓名", "性别", "出生日期", "公民身份号码"], rows)

    # Hospital deaths, the birth date as 出生年月.
    rows = _Rows()
    for p in dead + rng.sample(alive, max(1, int(len(dead) * 0.03))):
        noise = []
        name, sex, birth, cell = _person_fields(n, p, number_of(p), noise)
        died = p.get("death_date") if p.get("status") == "dead" else f"{n.end_year}-01-15"
        rows.add(
            [name, cell, sex, n.month(birth, noise), n.date(died or "", noise)],
            p["person_ref"],
            noise,
        )
    for name, sex, born, number in _namesakes(
        n, persons, int(len(rows.rows) * RATES["namesake"]), taken, ("1930-01-01", "1990-12-31")
    ):
        noise = ["namesake"]
        died = f"{n.end_year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        rows.add([name, number, SEX_ZH[sex], n.month(born, noise), n.date(died, noise)], "", noise)
    _duplicates(n, rows)
    rosters["hospital_deaths"] = (["姓名", "身份证号", "性别", "出生年月", "死亡日期"], rows)

    # Hospital births of the last five years.
    rows = _Rows()
    since = f"{int(newest[:4]) - 5}{newest[4:]}"
    mothers = []
    for index, child in enumerate(persons):
        mother = by_ref.get(child.get("mother_ref") or "")
        if mother is None or child["birth_date"] < since:
            continue
        mothers.append(mother)
        noise = []
        baby = "" if rng.random() < 0.5 else n.name(child["name"], noise)
        mother_name = n.name(mother["name"], noise)
        cell = _id_cell(n, number_of(mother), noise)
        cells = [f"O{index:08d}", n.sex(child["sex"], noise), n.date(child["birth_date"], noise)]
        rows.add([*cells, baby, mother_name, cell], child["person_ref"], noise)
    for mother in rng.sample(mothers, max(1, int(len(mothers) * 0.03))) if mothers else []:
        born = min(f"{n.end_year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}", newest)
        cells = ["", rng.choice(["男", "女"]), born, "", mother["name"], mother["id_number"]]
        rows.add(cells, "", ["unheard_of"])
    _duplicates(n, rows)
    rosters["hospital_births"] = (
        ["出生医学证明编号", "婴儿性别", "出生日期", "婴儿姓名", "母亲姓名", "母亲身份证号"],
        rows,
    )

    # Police deaths: always with the number (damaged at the same rates).
    rows = _Rows()
    for p in dead + (rng.sample(alive, max(1, int(len(dead) * 0.03))) if alive else []):
        noise = []
        name = n.name(p["name"], noise)
        cell = _id_cell(n, p["id_number"], noise)
        died = p.get("death_date") if p.get("status") == "dead" else f"{n.end_year}-02-01"
        when = n.date(died or "", noise)
        rows.add([name, cell, when, when], p["person_ref"], noise)
    _duplicates(n, rows)
    rosters["police_deaths"] = (["姓名", "身份证号", "死亡日期", "注销日期"], rows)

    # School entrants (ages 3, 6, 12 on 1 September).
    rows = _Rows()
    year = int(newest[:4])
    for child in alive:
        born = child.get("birth_date") or ""
        if not born or year - int(born[:4]) - (born[5:] > "09-01") not in (3, 6, 12):
            continue
        noise = []
        name, sex, birth, cell = _person_fields(n, child, number_of(child), noise, pupil=True)
        guardian = by_ref.get(child.get("mother_ref") or "") or by_ref.get(
            child.get("father_ref") or ""
        )
        cells = [name, sex, n.date(birth, noise), cell, guardian["name"] if guardian else ""]
        rows.add(cells, child["person_ref"], noise)
    for _ in range(max(1, int(len(rows.rows) * RATES["stranger"]))):
        name, sex_zh, birth, number = _child_stranger(rng, year - rng.choice((3, 6, 12)), taken)
        number = "" if rng.random() < missing_id else number
        rows.add([name, sex_zh, birth, number, ""], "", ["stranger"])
    kids = [p for p in persons if p.get("birth_date", "") >= f"{year - 20}-01-01"]
    for name, sex, born, number in _namesakes(
        n,
        kids,
        int(len(rows.rows) * RATES["namesake"]),
        taken,
        (f"{year - 13}-09-02", f"{year - 3}-09-01"),
    ):
        noise = ["namesake"]
        rows.add([name, SEX_ZH[sex], n.date(born, noise), number, ""], "", noise)
    _duplicates(n, rows)
    rosters["school_enrolment"] = (
        ["学生姓名", "性别", "出生日期", "身份证号", "监护人姓名"],
        rows,
    )

    # Civil marriages: each spouse's number damaged on its own.
    rows = _Rows()
    acts = {"marriage": "结婚", "divorce": "离婚"}

    def spouse(p: dict[str, str], side: str, noise: list[str]) -> list[Any]:
        own: list[str] = []
        name = n.name(p["name"], own)
        number = _id_cell(n, p["id_number"], own)
        noise += [f"{side}:{k}" for k in own]
        return [name, number]

    for event in events:
        if event["kind"] not in acts or not event.get("spouse_ref"):
            continue
        husband, wife = by_ref.get(event["person_ref"]), by_ref.get(event["spouse_ref"])
        if husband is None or wife is None or husband["sex"] != "M":
            continue
        if not husband.get("id_number") or not wife.get("id_number"):
            continue
        noise = []
        if rng.random() < 0.05:
            wife = _adult_stranger(rng, "F", taken)
            noise.append("wife_stranger")
        cells = [*spouse(husband, "husband", noise), *spouse(wife, "wife", noise)]
        cells += [n.date(event["effective_date"], noise), acts[event["kind"]]]
        rows.add(cells, husband["person_ref"], noise)
    women = [p for p in persons if p["sex"] == "F" and p.get("id_number")]
    for _ in range(max(1, int(len(rows.rows) * RATES["stranger"]))):
        noise = ["stranger"]
        husband = _adult_stranger(rng, "M", taken)
        ours = bool(women) and rng.random() < 0.3
        wife = rng.choice(women) if ours else _adult_stranger(rng, "F", taken)
        cells = [*spouse(husband, "husband", noise), *spouse(wife, "wife", noise)]
        when = f"{rng.randint(2021, 2025)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        cells += [when, rng.choice(list(acts.values()))]
        rows.add(cells, wife["person_ref"] if ours else "", noise)
    _duplicates(n, rows)
    rosters["civil_marriages"] = (
        ["男方姓名", "男方身份证号", "女方姓名", "女方身份证号", "登记日期", "登记类别"],
        rows,
    )

    truth: list[tuple[str, int, str]] = []
    noise_rows: list[tuple[str, int, str]] = []
    counts = {}
    for kind, (header, kind_rows) in rosters.items():
        rng.shuffle(kind_rows.rows)
        counts[kind] = len(kind_rows.rows)
        if "xlsx" in formats:
            first = _write_xlsx(out / f"{kind}.xlsx", kind, header, kind_rows, n.end_year)
            _record(f"{kind}.xlsx", first, kind_rows, truth, noise_rows)
        if "csv" in formats:
            _write_csv(out / f"{kind}.csv", header, kind_rows)
            _record(f"{kind}.csv", 2, kind_rows, truth, noise_rows)
    for name, header, table in (
        ("truth.csv", ["file", "row", "person_ref"], truth),
        ("noise.csv", ["file", "row", "noise"], noise_rows),
    ):
        with (out / name).open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(header)
            writer.writerows(table)
    return counts


def _extras(
    n: _Noise,
    rows: _Rows,
    persons: list[dict[str, str]],
    taken: set[str],
    missing_id: float,
    born_between: tuple[str, str],
) -> None:
    """Strangers (3 %), namesakes (2 %) and rows listed twice (1 %) of a person roster."""
    rng = n.rng
    base = len(rows.rows)
    for _ in range(max(1, int(base * RATES["stranger"]))):
        name, sex, birth, number = _stranger(rng)
        while number in taken:
            name, sex, birth, number = _stranger(rng)
        noise = ["stranger"]
        rows.add(
            [name, sex, n.date(birth, noise), number if rng.random() > missing_id else ""],
            "",
            noise,
        )
    for name, sex, born, number in _namesakes(
        n, persons, int(base * RATES["namesake"]), taken, born_between
    ):
        noise = ["namesake"]
        rows.add([name, SEX_ZH[sex], n.date(born, noise), number], "", noise)
    _duplicates(n, rows)


def _duplicates(n: _Noise, rows: _Rows) -> None:
    """A share of the register persons' rows listed twice (the same cells)."""
    for cells, ref, noise in list(rows.rows):
        if ref and n.hit("duplicate"):
            rows.add(list(cells), ref, [*noise, "duplicate"])


def _record(
    file: str,
    first: int,
    rows: _Rows,
    truth: list[tuple[str, int, str]],
    noise_rows: list[tuple[str, int, str]],
) -> None:
    for row, (_cells, ref, noise) in enumerate(rows.rows, start=first):
        truth.append((file, row, ref))
        noise_rows.append((file, row, ";".join(noise)))


def _csv_cell(value: Any) -> str:
    """A cell as Excel saves it to CSV: truncated numbers in scientific notation, date
    cells as 1990/5/3."""
    if isinstance(value, float):
        return f"{value:.5E}"
    if isinstance(value, date):
        return f"{value.year}/{value.month}/{value.day}"
    return "" if value is None else str(value)


def _write_csv(path: Path, header: list[str], rows: _Rows) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        for cells, _ref, _noise in rows.rows:
            writer.writerow([_csv_cell(c) for c in cells])


# The hospital's two-level header: (upper, lower) per column; "" = merged with the left.
BIRTHS_HEADER = (
    ("出生医学证明编号", ""),
    ("新生儿信息", "性别"),
    ("", "出生日期"),
    ("", "姓名"),
    ("产妇信息", "姓名"),
    ("", "身份证号"),
)
TITLES = {
    "police_register": "公安入户花名册",
    "hospital_deaths": "医院死亡名册",
    "hospital_births": "医院出生登记表",
    "police_deaths": "死亡注销名册",
    "school_enrolment": "新生入学名册",
    "civil_marriages": "婚姻登记名册",
}


def _write_xlsx(path: Path, kind: str, header: list[str], rows: _Rows, year: int) -> int:
    """The roster as an office sends it; returns the spreadsheet row of the first data row."""
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    sheet.title = "Sheet1"
    width = len(header)
    last = get_column_letter(width)
    sheet.append([f"某县{year}年{TITLES[kind]}"])
    sheet.merge_cells(f"A1:{last}1")
    sheet.append([f"填报单位：（盖章）    填报日期：{year}年12月31日"])
    sheet.merge_cells(f"A2:{last}2")
    if kind == "hospital_births":
        sheet.append([upper or None for upper, _ in BIRTHS_HEADER])
        sheet.append([lower or None for _, lower in BIRTHS_HEADER])
        sheet.merge_cells("A3:A4")
        sheet.merge_cells("B3:D3")
        sheet.merge_cells("E3:F3")
        first = TITLE_ROWS + 3
    else:
        sheet.append(header)
        first = TITLE_ROWS + 2
    for cells, _ref, _noise in rows.rows:
        sheet.append(cells)
    for row in sheet.iter_rows(min_row=first):
        for cell in row:
            if isinstance(cell.value, date):
                cell.number_format = "yyyy/m/d"
            elif isinstance(cell.value, float):
                cell.number_format = "General"
    sheet.append([TOTALS, f"共{len(rows.rows)}人"])
    fixed = __import__("datetime").datetime(*FIXED_TIME)
    book.properties.created = fixed
    book.properties.modified = fixed
    buffer = io.BytesIO()
    book.save(buffer)
    _deterministic_zip(buffer.getvalue(), path)
    return first


def _deterministic_zip(raw: bytes, path: Path) -> None:
    """Rewrite a workbook's zip with fixed entry times and properties, so that the same
    seed gives the same bytes."""
    import re

    tmp = path.with_name(path.name + ".tmp")
    with (
        zipfile.ZipFile(io.BytesIO(raw)) as source,
        zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(
                    rb"(<dcterms:(created|modified)[^>]*>)[^<]*",
                    rb"\g<1>2025-12-31T00:00:00Z",
                    data,
                )
            entry = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(entry, data)
    tmp.replace(path)
