"""Hand-built families, each for one condition or edge of the four programmes."""

from __future__ import annotations

import datetime
from pathlib import Path

from tests.builders import ORGUNITS, VILLAGE_A1, person, today, write_csv

D = datetime.date


def _p(ref: str, sex: str, birth: str, seq: int, **extra: str) -> dict:
    return person(ref, f"人{ref}", sex, birth, seq, **extra)


def family_rows() -> list[dict]:
    """Persons of every hand-built family (refs say who is who)."""
    rows = [
        # special assistance: the mother turns 49 on 2024-03-02; the only child died in 2020
        _p("A_M", "F", "1975-03-02", 2),
        _p("A_F", "M", "1973-05-05", 1),
        _p(
            "A_C",
            "M",
            "2000-01-01",
            3,
            mother_ref="A_M",
            father_ref="A_F",
            status="dead",
            death_date="2020-05-01",
        ),
        # disabled only child (grade 2) dies on 2024-06-10: disability → death category
        _p("B_M", "F", "1960-04-04", 4),
        _p("B_F", "M", "1958-08-08", 5),
        _p(
            "B_C",
            "F",
            "1990-02-02",
            6,
            mother_ref="B_M",
            father_ref="B_F",
            status="dead",
            death_date="2024-06-10",
        ),
        # only child's disability (grade 3) ended 2024-04-15 (recovered)
        _p("R_M", "F", "1965-06-06", 8),
        _p("R_C", "M", "1992-09-09", 7, mother_ref="R_M"),
        # only child died 2015, another child born 2019: not eligible
        _p("O_M", "F", "1970-01-20", 10),
        _p("O_C1", "M", "1995-03-03", 9, mother_ref="O_M", status="dead", death_date="2015-07-07"),
        _p("O_C2", "F", "2019-05-05", 12, mother_ref="O_M"),
        # only child died 2018, the mother adopted a child on 2020-02-01: not eligible
        _p("D_M", "F", "1968-02-29", 14),
        _p("D_C1", "M", "1993-11-11", 11, mother_ref="D_M", status="dead", death_date="2018-01-01"),
        _p("D_C2", "F", "2012-10-10", 16),
        # childcare: twins born either side of 2025-01-01, a child born 2022-03-10, 2025-06-15
        _p("T_M", "F", "1995-05-15", 18),
        _p("T_1", "M", "2024-12-31", 13, mother_ref="T_M"),
        _p("T_2", "F", "2025-01-01", 20, mother_ref="T_M"),
        _p("K_C", "M", "2022-03-10", 15, mother_ref="T_M"),
        _p("J_C", "F", "2025-06-15", 22, mother_ref="T_M"),
        # rural reward: rural father of one son
        _p("RR_F", "M", "1960-01-10", 17),
        _p("RR_C", "M", "1988-12-12", 19, father_ref="RR_F"),
        # urban family: same, registered urban
        _p("U_F", "M", "1959-03-03", 21, hukou_type="urban"),
        _p("U_C", "M", "1985-05-25", 23, father_ref="U_F", hukou_type="urban"),
        # two daughters; a son and a daughter; no child linked; registration type missing
        _p("G_M", "F", "1962-07-07", 24),
        _p("G_D1", "F", "1986-01-01", 26, mother_ref="G_M"),
        _p("G_D2", "F", "1989-02-02", 28, mother_ref="G_M"),
        _p("S_M", "F", "1961-08-08", 30),
        _p("S_C1", "M", "1984-03-03", 25, mother_ref="S_M"),
        _p("S_C2", "F", "1987-04-04", 32, mother_ref="S_M"),
        _p("N_F", "M", "1950-10-10", 27),
        _p("X_F", "M", "1955-11-11", 29, hukou_type=""),
        _p("X_C", "M", "1980-06-06", 31, father_ref="X_F"),
        # only-child certificate holder; child turns 18 on 2024-09-01
        _p("H_M", "F", "1980-03-03", 34),
        _p("H_C", "F", "2006-09-01", 36, mother_ref="H_M"),
    ]
    return rows


def load_families(directory: Path, extra: list[dict] | None = None) -> None:
    """Write and load the families (plus ``extra`` persons), then add the records the
    benefits app keeps."""
    from renkou.benefits.records import (
        adoption_add,
        disability_record_add,
        disability_record_end,
        only_child_certificate_add,
    )
    from renkou.registry.loading import registry_load
    from renkou.registry.models import Person

    directory.mkdir(parents=True, exist_ok=True)
    write_csv(directory / "orgunits.csv", ORGUNITS)
    write_csv(
        directory / "households.csv",
        [{"household_ref": "H1", "orgunit_code": VILLAGE_A1, "hukou_type": "rural"}],
    )
    write_csv(directory / "persons.csv", family_rows() + (extra or []))
    write_csv(
        directory / "events.csv",
        [
            {
                "event_ref": "E1",
                "kind": "birth",
                "person_ref": "J_C",
                "effective_date": "2025-06-15",
                "report_date": "2025-06-20",
                "source": "hospital",
                "orgunit_code": VILLAGE_A1,
            }
        ],
    )
    registry_load(path=directory, actor="test", today=today())
    ref = {p.person_ref: p for p in Person.objects.all()}
    disability_record_add(
        person=ref["B_C"], grade=2, certificate_number="B1", valid_from=D(2010, 1, 1), actor="test"
    )
    recovered = disability_record_add(
        person=ref["R_C"], grade=3, certificate_number="R1", valid_from=D(2010, 1, 1), actor="test"
    )
    disability_record_end(
        record=recovered, valid_until=D(2024, 4, 15), actor="test", reason="recovered"
    )
    adoption_add(parent=ref["D_M"], child=ref["D_C2"], adopted_on=D(2020, 2, 1), actor="test")
    only_child_certificate_add(
        holder=ref["H_M"], child=ref["H_C"], number="C1", issued_on=D(2007, 1, 1), actor="test"
    )
