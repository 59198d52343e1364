"""``synth rosters --noise office`` (issue 17): each kind of noise at about its stated rate,
ground truth that is each row's person before the noise, namesakes absent from the register,
the xlsx in an office's shape, the same bytes for the same seed.

The rows are checked against the county's persons with parsing written here, independent
of the generator and of the exchange reader.
"""

from __future__ import annotations

import csv
import math
import re
from collections import Counter, defaultdict
from datetime import date
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from openpyxl import load_workbook

from renkou.synth.county import generate
from renkou.synth.office import RATES, TRADITIONAL, write_office_rosters

KINDS = (
    "police_register",
    "hospital_deaths",
    "hospital_births",
    "police_deaths",
    "school_enrolment",
    "civil_marriages",
)
END = date(2025, 12, 31)
SIMPLIFIED = {t: s for s, t in TRADITIONAL.items()}
# Share of names each name noise can change (homophones: names with a confusable character).
NAME_RATES = {"name_homophone": 0.2, "name_traditional": 0.5, "name_space": 0.9, "name_dot": 0.5}
SEXES = {"男": "M", "女": "F", "男性": "M", "女性": "F", "男生": "M", "女生": "F"}
# The columns of a person's name, sex, birth date and number in each csv (None: not there).
FIELDS = {
    "police_register": ("姓名", "性别", "出生日期", "公民身份号码"),
    "hospital_deaths": ("姓名", "性别", "出生年月", "身份证号"),
    "police_deaths": ("姓名", None, None, "身份证号"),
    "school_enrolment": ("学生姓名", "性别", "出生日期", "身份证号"),
}


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A 10,000-person county, its office rosters (seed 5) and everything read back."""
    county = tmp_path_factory.mktemp("county")
    generate(persons=10_000, years=5, seed=11, out=county, end=END)
    out = tmp_path_factory.mktemp("office")
    counts = write_office_rosters(county, out, seed=5)
    persons = pq.read_table(county / "persons.parquet").to_pylist()
    rows: dict[str, list[dict[str, str]]] = {}
    for kind in KINDS:
        with (out / f"{kind}.csv").open(encoding="utf-8", newline="") as fh:
            rows[kind] = list(csv.DictReader(fh))
    with (out / "truth.csv").open(encoding="utf-8", newline="") as fh:
        truth = {(r["file"], int(r["row"])): r["person_ref"] for r in csv.DictReader(fh)}
    with (out / "noise.csv").open(encoding="utf-8", newline="") as fh:
        noise = {
            (r["file"], int(r["row"])): [k for k in r["noise"].split(";") if k]
            for r in csv.DictReader(fh)
        }
    return {
        "county": county,
        "out": out,
        "counts": counts,
        "persons": {p["person_ref"]: p for p in persons},
        "rows": rows,
        "truth": truth,
        "noise": noise,
    }


def _csv_rows(made: dict, kind: str) -> list[tuple[dict[str, str], str, list[str]]]:
    file = f"{kind}.csv"
    return [
        (row, made["truth"][(file, n)], made["noise"][(file, n)])
        for n, row in enumerate(made["rows"][kind], start=2)
    ]


def _date(text: str) -> str:
    """Every spelling the office model writes, to ISO (two-digit years: 20yy up to 2025)."""
    for pattern in (
        r"(\d{4})-(\d{2})-(\d{2})",
        r"(\d{4})年(\d{1,2})月(\d{1,2})日",
        r"(\d{4})(\d{2})(\d{2})",
        r"(\d{4})\. (\d{1,2})\. (\d{1,2})",
        r"(\d{4})/(\d{1,2})/(\d{1,2})",
        r"(\d{2})-(\d{2})-(\d{2})",
    ):
        m = re.fullmatch(pattern, text)
        if m:
            y, mo, d = (int(g) for g in m.groups())
            if y < 100:
                y += 2000 if y <= END.year % 100 else 1900
            return date(y, mo, d).isoformat()
    raise AssertionError(f"unexpected date spelling {text!r}")


def _month(text: str) -> str:
    m = re.fullmatch(r"(\d{4})(?:\.|年)?(\d{1,2})月?", text)
    assert m, f"unexpected 出生年月 {text!r}"
    return f"{int(m.group(1))}-{int(m.group(2)):02d}"


def _clean_name(text: str) -> str:
    return "".join(SIMPLIFIED.get(ch, ch) for ch in re.sub(r"[\s\u3000·•]", "", text))


def _check_number(cell: str, number: str, noise: list[str]) -> None:
    """The cell is the person's number with exactly the damage the noise names."""
    damage = [k for k in noise if k in ("id_digit", "id_transposed", "id_dashes", "id_excel")]
    if not damage:
        assert cell == number
        return
    (kind,) = damage
    if kind == "id_dashes":
        assert cell != number and re.sub(r"[- ]", "", cell) == number
    elif kind == "id_excel":
        assert cell == f"{float(number[:15] + '000'):.5E}" and "E+" in cell
    else:
        differ = [i for i in range(18) if cell[i] != number[i]]
        assert len(cell) == 18
        if kind == "id_digit":
            assert len(differ) == 1
        else:
            assert len(differ) == 2 and differ[1] == differ[0] + 1
            assert cell[differ[0]] == number[differ[1]] and cell[differ[1]] == number[differ[0]]


def test_rows_marked_as_a_person_are_that_persons_data_before_noise(made: dict) -> None:
    persons = made["persons"]
    checked: Counter[str] = Counter()
    for kind, (name_col, sex_col, birth_col, id_col) in FIELDS.items():
        for row, ref, noise in _csv_rows(made, kind):
            if not ref:
                continue
            p = persons[ref]
            checked[kind] += 1
            name = row[name_col]
            if not any(k.startswith("name_") for k in noise):
                assert name == p["name"]
            elif "name_homophone" not in noise:
                assert _clean_name(name) == p["name"]
            else:
                assert len(_clean_name(name)) == len(p["name"]) and name != p["name"]
            if row[id_col]:
                _check_number(row[id_col], p["id_number"], noise)
            else:
                assert not any(k.startswith("id_") for k in noise)
            if sex_col:
                sex = row[sex_col]
                want = p["sex"] if "id_sex_disagrees" not in noise else "MF"[p["sex"] == "M"]
                assert sex == "未知" if "sex_unknown" in noise else SEXES[sex] == want
            if birth_col == "出生年月":
                assert _month(row[birth_col]) == p["birth_date"][:7]
            elif birth_col:
                born = _date(row[birth_col])
                if "id_birth_disagrees" in noise:
                    y, m, d = p["birth_date"].split("-")
                    assert born == f"{y}-{d}-{m}" != p["birth_date"]
                else:
                    assert born == p["birth_date"]
    assert min(checked.values()) > 100, checked
    # Births: the row is the child; the mother's name and number are the child's mother's.
    for row, ref, noise in _csv_rows(made, "hospital_births"):
        if ref:
            child = persons[ref]
            mother = persons[child["mother_ref"]]
            assert _date(row["出生日期"]) == child["birth_date"]
            assert row["婴儿性别"] == "未知" or SEXES[row["婴儿性别"]] == child["sex"]
            if row["母亲身份证号"]:
                _check_number(row["母亲身份证号"], mother["id_number"], noise)
    # Marriages: the husband's (or, for a couple the register lacks, the wife's) data.
    for row, ref, noise in _csv_rows(made, "civil_marriages"):
        if ref and persons[ref]["sex"] == "M":
            side = [k.split(":", 1)[1] for k in noise if k.startswith("husband:")]
            _check_number(row["男方身份证号"], persons[ref]["id_number"], side)
        elif ref:
            side = [k.split(":", 1)[1] for k in noise if k.startswith("wife:")]
            _check_number(row["女方身份证号"], persons[ref]["id_number"], side)


def _between(observed: int, eligible: int, low: float, high: float | None = None) -> bool:
    """The count within four standard deviations (plus two) of the binomial expectation at
    a rate between ``low`` and ``high`` (default: exactly ``low``)."""
    high = low if high is None else high
    sd = 4 * math.sqrt(eligible * high * (1 - high)) + 2
    return eligible * low - sd <= observed <= eligible * high + sd


def test_each_kind_of_noise_appears_at_about_its_rate(made: dict) -> None:
    seen: Counter[str] = Counter()
    eligible: Counter[str] = Counter()
    for kind in KINDS:
        for row, ref, noise in _csv_rows(made, kind):
            if not ref or "duplicate" in noise:
                continue
            if kind == "civil_marriages":
                for side in ("husband", "wife"):
                    eligible["id"] += 1
                    seen.update(k.split(":", 1)[1] for k in noise if k.startswith(f"{side}:id_"))
                continue
            ids = [v for h, v in row.items() if "身份证" in h or "身份号码" in h]
            if any(ids):
                eligible["id"] += 1
                if FIELDS.get(kind, (None, None))[1]:
                    eligible["id_row"] += 1
            if kind != "police_deaths":
                eligible["sex"] += 1
            if kind == "school_enrolment":
                eligible["pupil"] += 1
            if kind != "hospital_births":  # (two names there: the baby's and the mother's)
                eligible["name"] += 1
                seen.update(k for k in noise if k.startswith("name_"))
            seen.update(k for k in noise if not k.startswith("name_"))
    assert eligible["id"] > 2000 and eligible["id_row"] > 1000, eligible
    for kind in ("id_transposed", "id_dashes", "id_excel"):
        assert seen[kind] > 0 and _between(seen[kind], eligible["id"], RATES[kind]), kind
    # A birth date that cannot disagree by a swap of day and month (day ≥ 13, day = month)
    # gets a wrong digit instead.
    low, extra = RATES["id_digit"], RATES["id_birth_disagrees"]
    assert _between(seen["id_digit"], eligible["id"], low, low + extra), seen["id_digit"]
    assert seen["id_birth_disagrees"] > 0
    assert _between(seen["id_birth_disagrees"], eligible["id_row"], 0.3 * extra, extra)
    sex_rate = RATES["id_sex_disagrees"]
    assert seen["id_sex_disagrees"] > 0
    assert _between(seen["id_sex_disagrees"], eligible["id_row"], sex_rate)
    for kind in NAME_RATES:
        # Only names the noise can change get it (most names for these kinds).
        rate = RATES[kind]
        assert seen[kind] > 0 and _between(
            seen[kind], eligible["name"], NAME_RATES[kind] * rate, rate
        )
    assert _between(seen["sex_unknown"], eligible["sex"], RATES["sex_unknown"])
    assert _between(
        seen["sex_pupil"], eligible["pupil"], 0.8 * RATES["sex_pupil"], RATES["sex_pupil"]
    )
    for style in ("cjk", "compact", "two_digit", "dotted", "slash", "cell"):
        assert seen[f"date_{style}"] > 0, style
    for style in ("dot", "cjk", "compact"):
        assert seen[f"month_{style}"] > 0, style
    for kind in ("police_register", "school_enrolment"):
        namesakes = sum(1 for _r, _ref, noise in _csv_rows(made, kind) if "namesake" in noise)
        registered = sum(
            1 for _r, ref, noise in _csv_rows(made, kind) if ref and "duplicate" not in noise
        )
        assert namesakes > 0 and _between(
            namesakes, registered, 0.9 * RATES["namesake"], RATES["namesake"]
        ), kind


def test_namesakes_are_absent_and_born_years_from_their_register_namesakes(made: dict) -> None:
    persons = list(made["persons"].values())
    numbers = {p["id_number"] for p in persons if p["id_number"]}
    by_name = defaultdict(list)
    for p in persons:
        by_name[(p["name"], p["sex"])].append(date.fromisoformat(p["birth_date"]))
    found: Counter[str] = Counter()
    with_number = 0
    for kind, (name_col, sex_col, birth_col, id_col) in FIELDS.items():
        for row, ref, noise in _csv_rows(made, kind):
            if "namesake" not in noise:
                continue
            found[kind] += 1
            with_number += bool(row[id_col])
            assert ref == ""
            assert row[id_col] == "" or row[id_col] not in numbers
            same = by_name[(row[name_col], SEXES[row[sex_col]])]
            assert same, "a namesake shares a register person's name and sex"
            if birth_col == "出生年月":
                y, m = (int(x) for x in _month(row[birth_col]).split("-"))
                assert all(abs((y - b.year) * 12 + m - b.month) >= 23 for b in same)
            else:
                born = date.fromisoformat(_date(row[birth_col]))
                assert all(abs((born - b).days) >= 730 for b in same)
    assert found["police_register"] and found["school_enrolment"] and found["hospital_deaths"]
    assert 0 < with_number < sum(found.values()) / 2  # most namesakes have no number


def test_xlsx_has_title_rows_two_level_header_and_totals(made: dict) -> None:
    out = made["out"]
    for kind in KINDS:
        sheet = load_workbook(out / f"{kind}.xlsx").active
        grid = [list(r) for r in sheet.iter_rows(values_only=True)]
        assert "名册" in grid[0][0] or "登记表" in grid[0][0]
        assert grid[0][1:] == [None] * (len(grid[0]) - 1)
        assert grid[1][0].startswith("填报单位")
        header = list(made["rows"][kind][0])
        if kind == "hospital_births":
            assert grid[2] == ["出生医学证明编号", "新生儿信息", None, None, "产妇信息", None]
            assert grid[3] == [None, "性别", "出生日期", "姓名", "姓名", "身份证号"]
            merged = {str(r) for r in sheet.merged_cells.ranges}
            assert {"A3:A4", "B3:D3", "E3:F3"} <= merged
            first = 5
        else:
            assert grid[2] == header
            first = 4
        data = grid[first - 1 : -1]
        assert grid[-1][:2] == ["合计", f"共{len(data)}人"]
        assert len(data) == len(made["rows"][kind]) == made["counts"][kind]
        truth_rows = sorted(r for f, r in made["truth"] if f == f"{kind}.xlsx")
        assert truth_rows == list(range(first, first + len(data)))
        # The same rows as the csv twin, cell by cell (Excel's own CSV spellings).
        for cells, row in zip(data, made["rows"][kind], strict=True):
            spelled = []
            for c in cells:
                if isinstance(c, float):
                    spelled.append(f"{c:.5E}")
                elif hasattr(c, "year"):
                    spelled.append(f"{c.year}/{c.month}/{c.day}")
                else:
                    spelled.append("" if c is None else str(c))
            assert spelled == list(row.values())
        assert made["truth"][(f"{kind}.xlsx", first)] == made["truth"][(f"{kind}.csv", 2)]
    # Truncated numbers are numbers in the workbook, the others text; some dates are dates.
    sheet = load_workbook(out / "police_register.xlsx").active
    kinds = {type(r[3]).__name__ for r in sheet.iter_rows(min_row=4, values_only=True)}
    assert {"str", "float"} <= kinds
    kinds = {type(r[2]).__name__ for r in sheet.iter_rows(min_row=4, values_only=True)}
    assert {"str", "datetime"} <= kinds


def test_same_seed_same_files_other_seed_differs(made: dict, tmp_path: Path) -> None:
    write_office_rosters(made["county"], tmp_path / "again", seed=5)
    write_office_rosters(made["county"], tmp_path / "other", seed=6, formats=("csv",))
    names = sorted(p.name for p in made["out"].iterdir())
    assert names == sorted(p.name for p in (tmp_path / "again").iterdir())
    for name in names:
        assert (made["out"] / name).read_bytes() == (tmp_path / "again" / name).read_bytes(), name
    other = tmp_path / "other" / "police_register.csv"
    assert other.read_bytes() != (made["out"] / "police_register.csv").read_bytes()
    assert not (tmp_path / "other" / "police_register.xlsx").exists()


def test_the_old_noise_stays_the_default(tmp_path: Path, made: dict) -> None:
    from django.core.management import call_command

    call_command("synth", "rosters", "--county", str(made["county"]), "--seed", "5",
                 "--out", str(tmp_path / "old"))  # fmt: skip
    call_command("synth", "rosters", "--county", str(made["county"]), "--seed", "5",
                 "--out", str(tmp_path / "office"), "--noise", "office")  # fmt: skip
    assert not list((tmp_path / "old").glob("*.xlsx"))
    assert not (tmp_path / "old" / "noise.csv").exists()
    assert (tmp_path / "office" / "hospital_births.xlsx").exists()
    assert (tmp_path / "office" / "police_register.csv").read_bytes() == (
        made["out"] / "police_register.csv"
    ).read_bytes()
