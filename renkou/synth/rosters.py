"""Synthetic department rosters from a synthetic county, with realistic noise and ground truth.

Writes ``police_register.csv``, ``hospital_deaths.csv``, ``hospital_births.csv``,
``police_deaths.csv``, ``school_enrolment.csv`` and ``civil_marriages.csv`` (Chinese
headers) and ``truth.csv`` (file, row, person_ref; empty for rows of people not in the
register; for a marriage, the husband, or the wife when the register lacks him):
homophone and look-alike typos in names, day and month swapped in dates typed by hand,
identity numbers missing for 5–20 % of rows, duplicate rows, and a share of people who
are not in the register at all (the 漏报 a linkage must find).
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

from renkou.core.idnumber import check_character
from renkou.core.tabular import find_file, read_table

# Characters clerks confuse: homophones (张/章, 丽/莉) and look-alikes (王/玉).
TYPOS = {
    "张": "章", "章": "张", "丽": "莉", "莉": "丽", "王": "汪", "李": "理", "刘": "柳",
    "陈": "程", "杨": "阳", "林": "琳", "伟": "玮", "芳": "方", "静": "婧", "军": "君",
    "明": "铭", "华": "桦", "玉": "王", "红": "宏", "英": "瑛", "平": "萍",
}  # fmt: skip


def _typo(name: str, rng: random.Random) -> str:
    spots = [i for i, ch in enumerate(name) if ch in TYPOS]
    if not spots:
        return name
    i = rng.choice(spots)
    return name[:i] + TYPOS[name[i]] + name[i + 1 :]


def _typed_date(iso: str, rng: random.Random, swap_rate: float) -> str:
    year, month, day = iso[:4], iso[5:7], iso[8:10]
    if rng.random() < swap_rate and int(day) <= 12 and day != month:
        month, day = day, month
    return rng.choice(
        [f"{year}-{month}-{day}", f"{year}年{int(month)}月{int(day)}日", f"{year}{month}{day}"]
    )


def _stranger(rng: random.Random) -> tuple[str, str, str, str]:
    year, month, day = rng.randint(1950, 2015), rng.randint(1, 12), rng.randint(1, 28)
    seq = rng.randint(1, 999)
    first17 = f"330122{year}{month:02d}{day:02d}{seq:03d}"
    name = rng.choice("赵钱孙周吴郑冯") + rng.choice("一二三四五六七八九") + rng.choice("甲乙丙丁")
    sex = "男" if seq % 2 else "女"
    return name, sex, f"{year}-{month:02d}-{day:02d}", first17 + check_character(first17)


def write_rosters(
    county: Path, out: Path, *, seed: int, share: float = 0.1, missing_id: float = 0.1
) -> dict[str, int]:
    """Write the rosters of ``county`` (a load directory) to ``out``; returns rows per file."""
    rng = random.Random(seed)
    persons_file = find_file(county, "persons") if county.is_dir() else county
    if persons_file is None:
        raise ValueError(f"no persons file in {county}")
    persons = read_table(persons_file).to_pylist()
    out.mkdir(parents=True, exist_ok=True)
    truth: list[tuple[str, int, str]] = []
    counts = {}
    sex_zh = {"M": "男", "F": "女"}

    alive = [p for p in persons if p.get("status", "alive") == "alive"]
    picked = rng.sample(alive, max(1, int(len(alive) * share)))
    rows: list[tuple[list[str], str]] = []
    for p in picked:
        name = _typo(p["name"], rng) if rng.random() < 0.1 else p["name"]
        number = "" if rng.random() < missing_id else p["id_number"]
        birth = _typed_date(p["birth_date"], rng, 0.0 if number else 0.05)
        rows.append(([name, sex_zh[p["sex"]], birth, number], p["person_ref"]))
        if rng.random() < 0.01:
            rows.append((rows[-1][0], p["person_ref"]))  # the same person listed twice
    for _ in range(max(1, int(len(picked) * 0.03))):
        name, sex, birth, number = _stranger(rng)
        rows.append(([name, sex, birth, number if rng.random() > missing_id else ""], ""))
    rng.shuffle(rows)
    counts["police_register"] = _write(
        out / "police_register.csv", ["姓名", "性别", "出生日期", "公民身份号码"], rows, truth
    )

    dead = [p for p in persons if p.get("status") == "dead" and p.get("death_date")]
    rows = []
    for p in dead:
        number = "" if rng.random() < missing_id else p["id_number"]
        rows.append(
            (
                [p["name"], number, sex_zh[p["sex"]], p["birth_date"], p["death_date"]],
                p["person_ref"],
            )
        )
    for p in rng.sample(alive, max(1, int(len(dead) * 0.03) or 1)):
        # Deaths the register has not heard of: alive there, dead on the hospital's list.
        rows.append(
            (
                [p["name"], p["id_number"], sex_zh[p["sex"]], p["birth_date"], "2025-01-15"],
                p["person_ref"],
            )
        )
    rng.shuffle(rows)
    counts["hospital_deaths"] = _write(
        out / "hospital_deaths.csv",
        ["姓名", "身份证号", "性别", "出生日期", "死亡日期"],
        rows,
        truth,
    )
    counts["hospital_births"] = _hospital_births(persons, out, rng, missing_id, truth)
    counts["police_deaths"] = _police_deaths(dead, alive, out, rng, truth)
    # The two kinds added later draw their randomness after the others, so that the four
    # rosters above stay what they were for a given seed.
    counts["school_enrolment"] = _school_enrolment(persons, out, rng, missing_id, truth)
    events_file = find_file(county, "events") if county.is_dir() else None
    events = read_table(events_file).to_pylist() if events_file else []
    counts["civil_marriages"] = _civil_marriages(persons, events, out, rng, truth)
    with (out / "truth.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["file", "row", "person_ref"])
        writer.writerows(truth)
    return counts


def _hospital_births(
    persons: list[dict[str, str]],
    out: Path,
    rng: random.Random,
    missing_id: float,
    truth: list[tuple[str, int, str]],
) -> int:
    """Births of the last five years as a hospital lists them: the baby often unnamed, the
    mother's number sometimes missing, a few births the register has not heard of."""
    by_ref = {p["person_ref"]: p for p in persons}
    newest = max((p["birth_date"] for p in persons if p.get("birth_date")), default="2025-01-01")
    since = f"{int(newest[:4]) - 5}{newest[4:]}"
    sex_zh = {"M": "男", "F": "女"}
    rows: list[tuple[list[str], str]] = []
    mothers = []
    for number, child in enumerate(persons):
        mother = by_ref.get(child.get("mother_ref") or "")
        if mother is None or child["birth_date"] < since:
            continue
        mothers.append(mother)
        name = "" if rng.random() < 0.5 else child["name"]
        mother_id = "" if rng.random() < missing_id else mother["id_number"]
        birth = _typed_date(child["birth_date"], rng, 0.0 if mother_id else 0.03)
        mother_name = _typo(mother["name"], rng) if rng.random() < 0.05 else mother["name"]
        cells = [f"O{number:08d}", sex_zh[child["sex"]], birth, name, mother_name, mother_id]
        rows.append((cells, child["person_ref"]))
        if rng.random() < 0.01:
            rows.append((cells, child["person_ref"]))  # listed in two monthly rosters
    for mother in rng.sample(mothers, max(1, int(len(mothers) * 0.03))) if mothers else []:
        # Births the register has not heard of (漏报): a mother of ours, a later child.
        year, month, day = int(newest[:4]), rng.randint(1, 12), rng.randint(1, 28)
        born = f"{year}-{month:02d}-{day:02d}"
        if born > newest:
            born = newest
        cells = ["", rng.choice(["男", "女"]), born, "", mother["name"], mother["id_number"]]
        rows.append((cells, ""))
    rng.shuffle(rows)
    return _write(
        out / "hospital_births.csv",
        ["出生医学证明编号", "婴儿性别", "出生日期", "婴儿姓名", "母亲姓名", "母亲身份证号"],
        rows,
        truth,
    )


def _police_deaths(
    dead: list[dict[str, str]],
    alive: list[dict[str, str]],
    out: Path,
    rng: random.Random,
    truth: list[tuple[str, int, str]],
) -> int:
    """The police's cancellations of registration after a death (always with the identity
    number: it is what they cancel), a few the register lacks."""
    rows: list[tuple[list[str], str]] = []
    for p in dead:
        name = _typo(p["name"], rng) if rng.random() < 0.05 else p["name"]
        rows.append(([name, p["id_number"], p["death_date"], p["death_date"]], p["person_ref"]))
    for p in rng.sample(alive, max(1, int(len(dead) * 0.03))) if alive else []:
        rows.append(([p["name"], p["id_number"], "2025-02-01", "2025-02-10"], p["person_ref"]))
    rng.shuffle(rows)
    return _write(
        out / "police_deaths.csv", ["姓名", "身份证号", "死亡日期", "注销日期"], rows, truth
    )


SCHOOL_ENTRY_AGES = (3, 6, 12)  # kindergarten, primary school, junior middle school


def _child_stranger(rng: random.Random, year: int, taken: set[str]) -> tuple[str, str, str, str]:
    """A child from elsewhere (the register does not know them), born in ``year``, with an
    identity number nobody in the register has."""
    while True:
        month, day, seq = rng.randint(1, 12), rng.randint(1, 28), rng.randint(1, 999)
        first17 = f"330122{year}{month:02d}{day:02d}{seq:03d}"
        if first17 + check_character(first17) not in taken:
            break
    name = rng.choice("赵钱孙周吴郑冯") + rng.choice("子梓浩宇欣雨") + rng.choice("涵轩萱辰")
    sex = "男" if seq % 2 else "女"
    return name, sex, f"{year}-{month:02d}-{day:02d}", first17 + check_character(first17)


def _school_enrolment(
    persons: list[dict[str, str]],
    out: Path,
    rng: random.Random,
    missing_id: float,
    truth: list[tuple[str, int, str]],
) -> int:
    """This year's entrants to kindergarten, primary and junior middle school (ages 3, 6,
    12 on 1 September) as schools list them: names typed with typos, the birth date
    sometimes with day and month swapped, the number often missing, the guardian's name;
    a few children from elsewhere the register lacks, a few listed twice."""
    by_ref = {p["person_ref"]: p for p in persons}
    newest = max((p["birth_date"] for p in persons if p.get("birth_date")), default="2025-01-01")
    year = int(newest[:4])
    sex_zh = {"M": "男", "F": "女"}
    rows: list[tuple[list[str], str]] = []
    for child in persons:
        born = child.get("birth_date") or ""
        if child.get("status", "alive") != "alive" or not born:
            continue
        # Age on 1 September of the school year.
        age = year - int(born[:4]) - (born[5:] > "09-01")
        if age not in SCHOOL_ENTRY_AGES:
            continue
        name = _typo(child["name"], rng) if rng.random() < 0.1 else child["name"]
        number = "" if rng.random() < missing_id or not child["id_number"] else child["id_number"]
        birth = _typed_date(born, rng, 0.0 if number else 0.05)
        guardian = by_ref.get(child.get("mother_ref") or "") or by_ref.get(
            child.get("father_ref") or ""
        )
        cells = [name, sex_zh[child["sex"]], birth, number, guardian["name"] if guardian else ""]
        rows.append((cells, child["person_ref"]))
        if rng.random() < 0.01:
            rows.append((cells, child["person_ref"]))  # on two schools' lists
    taken = {p["id_number"] for p in persons if p.get("id_number")}
    for _ in range(max(1, int(len(rows) * 0.03))):
        name, sex, birth, number = _child_stranger(rng, year - rng.choice(SCHOOL_ENTRY_AGES), taken)
        number = "" if rng.random() < missing_id else number
        rows.append(([name, sex, birth, number, ""], ""))
    rng.shuffle(rows)
    return _write(
        out / "school_enrolment.csv",
        ["学生姓名", "性别", "出生日期", "身份证号", "监护人姓名"],
        rows,
        truth,
    )


def _adult_stranger(rng: random.Random, sex: str, taken: set[str]) -> dict[str, str]:
    """A man or woman (``sex`` M/F) born 1960–2000 elsewhere, the register does not know
    (an identity number nobody in the register has)."""
    while True:
        name, sex_zh, _born, number = _stranger(rng)
        if (
            1960 <= int(number[6:10]) <= 2000
            and sex_zh == "男女"[sex == "F"]
            and number not in taken
        ):
            return {"name": name, "id_number": number}


def _civil_marriages(
    persons: list[dict[str, str]],
    events: list[dict[str, str]],
    out: Path,
    rng: random.Random,
    truth: list[tuple[str, int, str]],
) -> int:
    """Marriages and divorces registered by civil affairs: one row per couple with both
    spouses' names and numbers (a registration always has them), the date sometimes typed
    with day and month swapped, names with typos; spouses from elsewhere (the register
    knows one of the two, or neither), and a few rows listed twice."""
    by_ref = {p["person_ref"]: p for p in persons}
    taken = {p["id_number"] for p in persons if p.get("id_number")}
    acts = {"marriage": "结婚", "divorce": "离婚"}
    rows: list[tuple[list[str], str]] = []

    def spouse(p: dict[str, str]) -> tuple[str, str]:
        name = _typo(p["name"], rng) if rng.random() < 0.05 else p["name"]
        return name, p["id_number"]

    for event in events:
        if event["kind"] not in acts or not event.get("spouse_ref"):
            continue
        husband, wife = by_ref.get(event["person_ref"]), by_ref.get(event["spouse_ref"])
        if husband is None or wife is None or husband["sex"] != "M":
            continue  # each couple once: the husband's event
        if not husband.get("id_number") or not wife.get("id_number"):
            continue
        if rng.random() < 0.05:
            # The wife is from another county: the register knows only the husband.
            wife = _adult_stranger(rng, "F", taken)
        when = _typed_date(event["effective_date"], rng, 0.03)
        cells = [*spouse(husband), *spouse(wife), when, acts[event["kind"]]]
        rows.append((cells, husband["person_ref"]))
        if rng.random() < 0.01:
            rows.append((cells, husband["person_ref"]))  # in two months' lists
    women = [p for p in persons if p["sex"] == "F" and p.get("id_number")]
    for _ in range(max(1, int(len(rows) * 0.03))):
        # Couples the register lacks; sometimes only the husband is from elsewhere.
        husband = _adult_stranger(rng, "M", taken)
        ours = bool(women) and rng.random() < 0.3
        wife = rng.choice(women) if ours else _adult_stranger(rng, "F", taken)
        cells = [
            *spouse(husband),
            *spouse(wife),
            f"{rng.randint(2021, 2025)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
            rng.choice(list(acts.values())),
        ]
        rows.append((cells, wife["person_ref"] if ours else ""))
    rng.shuffle(rows)
    return _write(
        out / "civil_marriages.csv",
        ["男方姓名", "男方身份证号", "女方姓名", "女方身份证号", "登记日期", "登记类别"],
        rows,
        truth,
    )


def _write(
    path: Path,
    header: list[str],
    rows: list[tuple[list[str], str]],
    truth: list[tuple[str, int, str]],
) -> int:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        for row_number, (cells, ref) in enumerate(rows, start=2):
            writer.writerow(cells)
            truth.append((path.name, row_number, ref))
    return len(rows)
