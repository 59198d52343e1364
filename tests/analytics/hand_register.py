"""A small hand-built register whose 2024 statistics are worked out by hand in the tests.

Load date 2025-06-30 (tests.builders.today). Units: county 330122, township A (villages A1
and A2, A2 merged into A1 on 2024-07-01), township B (village B1).

| who | sex | born | registered (户籍) | lives (常住) | what happens |
|---|---|---|---|---|---|
| M1 | F | 1994-05-10 | A1 | A1 | mother of C1 |
| C1 | M | 2024-03-31 | A1 | A1 | 1st child of M1: born on the last day of Q1 |
| M2 | F | 1990-08-20 | A1 | A1 | mother of O2 and C2 |
| O2 | M | 2018-01-01 | A1 | A1 | 1st child of M2, before the history |
| C2 | F | 2024-04-01 | A1 | A1 | 2nd child of M2: born on the first day of Q2 |
| M3 | F | 1985-02-01 | A1 | A1 → B1 on 2024-06-30 | mother who moved mid-year, then twins |
| T1, T2 | M, F | 2024-07-15 | A1 | B1 | twins, orders 1 and 2 |
| D1 | M | 1930-01-01 | A1 | A1 | died 2024-12-31, the last day of the year |
| M4 | F | 1996-06-06 | B1 | B1 | mother of I1 |
| I1 | F | 2024-02-10 | B1 | B1 | died 2024-05-20: an infant death |
| V1 | M | 1980-01-01 | B1 | B1 → region 110105 on 2024-01-01 | a move on the first day |
| M6 | F | 1998-03-03 | B1 | B1 | mother of L1 |
| L1 | M | 2023-11-10 | B1 | B1 | born 2023, reported 2024-02-01 through the app (late) |
| G1 | F | 1960-03-03 | A2 → A1 | A2 → A1 | village A2 merged into A1 on 2024-07-01 |
| W1 | F | 1995-12-31 | region 410102 | A1 since 2022-06-01 | a migrant (流入) |

M6 marries on 2024-09-01; M4 (married at load) divorces on 2024-07-10.
"""

from __future__ import annotations

import datetime
from pathlib import Path

from renkou.orgunits.models import OrgUnit
from renkou.registry import services
from renkou.registry.loading import registry_load
from renkou.registry.models import Person
from tests.builders import ORGUNITS, VILLAGE_A1, VILLAGE_A2, VILLAGE_B1, person, today, write_csv

A1, A2, B1 = VILLAGE_A1, VILLAGE_A2, VILLAGE_B1
TOWNSHIP_A, TOWNSHIP_B, COUNTY = A1[:9], B1[:9], A1[:6]

_ROWS = [
    # ref, sex, birth, hukou, residence, extra
    ("M1", "F", "1994-05-10", A1, A1, {"marital_status": "married"}),
    ("C1", "M", "2024-03-31", A1, A1, {"mother_ref": "M1", "birth_order": "1"}),
    ("M2", "F", "1990-08-20", A1, A1, {"marital_status": "married"}),
    ("O2", "M", "2018-01-01", A1, A1, {"mother_ref": "M2", "birth_order": "1"}),
    ("C2", "F", "2024-04-01", A1, A1, {"mother_ref": "M2", "birth_order": "2"}),
    ("M3", "F", "1985-02-01", A1, B1, {"marital_status": "married"}),
    ("T1", "M", "2024-07-15", A1, B1, {"mother_ref": "M3", "birth_order": "1"}),
    ("T2", "F", "2024-07-15", A1, B1, {"mother_ref": "M3", "birth_order": "2"}),
    ("D1", "M", "1930-01-01", A1, A1, {"status": "dead", "death_date": "2024-12-31"}),
    ("M4", "F", "1996-06-06", B1, B1, {"marital_status": "married"}),
    (
        "I1",
        "F",
        "2024-02-10",
        B1,
        B1,
        {"mother_ref": "M4", "birth_order": "1", "status": "dead", "death_date": "2024-05-20"},
    ),
    ("V1", "M", "1980-01-01", B1, "110105", {}),
    ("M6", "F", "1998-03-03", B1, B1, {}),
    ("G1", "F", "1960-03-03", A1, A1, {"marital_status": "widowed"}),
    ("W1", "F", "1995-12-31", "410102", A1, {}),
]

_EVENTS = [
    # ref, kind, person, effective, report, orgunit, from, to
    ("E1", "birth", "C1", "2024-03-31", "2024-04-03", A1, "", ""),
    ("E2", "birth", "C2", "2024-04-01", "2024-04-02", A1, "", ""),
    ("E3", "move_out", "M3", "2024-06-30", "2024-07-02", A1, A1, B1),
    ("E4", "birth", "T1", "2024-07-15", "2024-07-20", B1, "", ""),
    ("E5", "birth", "T2", "2024-07-15", "2024-07-20", B1, "", ""),
    ("E6", "death", "D1", "2024-12-31", "2025-01-03", A1, "", ""),
    ("E7", "birth", "I1", "2024-02-10", "2024-02-11", B1, "", ""),
    ("E8", "death", "I1", "2024-05-20", "2024-05-21", B1, "", ""),
    ("E9", "move_out", "V1", "2024-01-01", "2024-01-05", B1, B1, "110105"),
    ("E10", "hukou_in", "G1", "2024-07-01", "2024-07-01", A1, A2, A1),
    ("E11", "move_in", "G1", "2024-07-01", "2024-07-01", A1, A2, A1),
    ("E12", "move_in", "W1", "2022-06-01", "2022-06-03", A1, "410102", A1),
    ("E13", "marriage", "M6", "2024-09-01", "2024-09-03", B1, "", ""),
    ("E14", "divorce", "M4", "2024-07-10", "2024-07-18", B1, "", ""),
]


def hand_register(directory: Path) -> None:
    """Load the register above, then report L1's birth late through the services."""
    directory.mkdir(parents=True, exist_ok=True)
    units = [
        {**u, "valid_to": "2024-06-30"} if u["code"] == A2 else {**u, "valid_to": ""}
        for u in ORGUNITS
    ]
    write_csv(directory / "orgunits.csv", units)
    rows = []
    for n, (ref, sex, birth, hukou, residence, extra) in enumerate(_ROWS):
        seq = 2 * n + (1 if sex == "M" else 2)
        rows.append(
            person(ref, f"人{n}", sex, birth, seq, hukou_code=hukou, residence_code=residence)
            | extra
        )
    write_csv(directory / "persons.csv", rows)
    write_csv(
        directory / "events.csv",
        [
            {
                "event_ref": ref,
                "kind": kind,
                "person_ref": who,
                "effective_date": eff,
                "report_date": rep,
                "orgunit_code": unit,
                "from_code": frm,
                "to_code": to,
            }
            for ref, kind, who, eff, rep, unit, frm, to in _EVENTS
        ],
    )
    result = registry_load(path=directory, actor="test", today=today())
    assert result.errors == 0, result.problems
    mother = Person.objects.get(person_ref="M6")
    birth = services.birth_submit(
        name="人L",
        sex="M",
        birth_date=datetime.date(2023, 11, 10),
        orgunit=OrgUnit.objects.get(code=B1),
        actor="test",
        mother=mother,
        report_date=datetime.date(2024, 2, 1),
    )
    services.event_apply(event=birth, actor="test", warnings_reason="补报，尚未办证")
