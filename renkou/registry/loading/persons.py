"""Validating the households and persons load files into rows ready for bulk insert."""

from __future__ import annotations

import array
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from renkou.core import crypto, idnumber
from renkou.core.tabular import iter_tables
from renkou.registry.loading.checks import RowChecker

SEX = {"M": "M", "F": "F", "男": "M", "女": "F", "1": "M", "2": "F", "m": "M", "f": "F"}
HUKOU_TYPE = {
    "rural": "rural",
    "urban": "urban",
    "农业": "rural",
    "非农业": "urban",
    "农村": "rural",
    "城镇": "urban",
}
MARITAL = {
    "single": "single",
    "married": "married",
    "divorced": "divorced",
    "widowed": "widowed",
    "未婚": "single",
    "已婚": "married",
    "有配偶": "married",
    "离婚": "divorced",
    "丧偶": "widowed",
}
STATUS = {
    "alive": "alive",
    "dead": "dead",
    "emigrated": "emigrated",
    "": "alive",
    "正常": "alive",
    "死亡": "dead",
    "迁出": "emigrated",
}
RELATION = {
    r: r for r in ("head", "spouse", "child", "parent", "grandchild", "sibling", "in_law", "other")
}

HOUSEHOLD_REQUIRED = {"household_ref", "orgunit_code"}
HOUSEHOLD_OPTIONAL = {"address", "hukou_type"}
PERSON_REQUIRED = {"person_ref", "name", "sex", "birth_date", "hukou_code", "residence_code"}
PERSON_OPTIONAL = {
    "id_number",
    "ethnicity",
    "hukou_type",
    "marital_status",
    "mother_ref",
    "father_ref",
    "birth_order",
    "status",
    "death_date",
    "household_ref",
    "relation_to_head",
}


def row_fingerprint(values: list[str]) -> str:
    """A hash of a source row's values, to recognise the same row loaded again."""
    return hashlib.sha1("\x1f".join(values).encode(), usedforsecurity=False).hexdigest()


@dataclass
class Seen:
    """The references taken so far, kept only for those given on more than one row."""

    shared: set[str]
    taken: set[str] = field(default_factory=set)

    def again(self, ref: str) -> bool:
        """Whether ``ref`` was taken on an earlier row."""
        return ref in self.taken

    def add(self, ref: str) -> None:
        """Note ``ref`` as taken (remembered only if it is one of the shared)."""
        if ref in self.shared:
            self.taken.add(ref)


def duplicate_ids(numbers: array.array, path: Path, check: RowChecker, *, chunk: int) -> None:
    """Warn of every identity number given on an earlier row too (``other`` = that row).

    ``numbers`` holds (hash, row) pairs; rows whose hash is shared are read again from the
    file to compare the numbers themselves, so only those few numbers are ever in memory.
    """
    pairs = np.frombuffer(numbers, dtype=np.int64).reshape(-1, 2)
    if not len(pairs):
        return
    pairs = pairs[np.lexsort((pairs[:, 1], pairs[:, 0]))]
    same = np.flatnonzero(pairs[1:, 0] == pairs[:-1, 0])
    rows = set(pairs[same, 1].tolist()) | set(pairs[same + 1, 1].tolist())
    if not rows:
        return
    found: list[tuple[str, int]] = []
    first = 2
    for table in iter_tables(path, rows=chunk, columns=["id_number"]):
        for i, text in enumerate(table.column("id_number").to_pylist(), start=first):
            if i in rows:
                found.append((idnumber.parse(text).number, i))
        first += table.num_rows
    found.sort()
    problems = []
    for (number, row), (previous, before) in zip(found[1:], found[:-1], strict=True):
        if number == previous:
            problems.append((row, crypto.mask_id_number(number), before))
    for row, masked, before in sorted(problems):
        check.add("duplicate_id", row, "id_number", masked, severity="warning", other=str(before))


@dataclass
class HouseholdRow:
    """A valid household row."""

    row: int
    ref: str
    orgunit: str
    address: str
    hukou_type: str


def validate_households(
    table: pa.Table, check: RowChecker, *, first_row: int, seen: Seen
) -> list[HouseholdRow]:
    """Valid households of a chunk whose first row is ``first_row``; problems go to ``check``."""
    cols = {name: table.column(name).to_pylist() for name in table.column_names}
    out: list[HouseholdRow] = []
    n = table.num_rows
    empty = [""] * n
    for i, (ref, unit, address, hukou) in enumerate(
        zip(
            cols["household_ref"],
            cols["orgunit_code"],
            cols.get("address", empty),
            cols.get("hukou_type", empty),
            strict=True,
        ),
        start=first_row,
    ):
        if not ref:
            check.add("required", i, "household_ref")
            continue
        if seen.again(ref):
            check.add("duplicate_key", i, "household_ref", ref)
            continue
        place = check.place(unit, i, "orgunit_code", required=True, leaf=True)
        hukou_type = check.choice(hukou, i, "hukou_type", HUKOU_TYPE)
        if not place or place.orgunit is None or hukou_type is False:
            if place and place.orgunit is None:
                check.add("not_leaf", i, "orgunit_code", unit)
            continue
        seen.add(ref)
        out.append(HouseholdRow(i, ref, place.orgunit, address, str(hukou_type)))
    return out


@dataclass
class PersonRow:
    """A valid person row: state fields plus references still to resolve."""

    row: int
    ref: str
    state: dict[str, Any]
    mother_ref: str
    father_ref: str
    household_ref: str
    fingerprint: str
    # For a person living and registered elsewhere: the village of their latest event here.
    last_seen: str | None = None

    @property
    def unit(self) -> str | None:
        """The unit of ours the enrolment is recorded at: residence, else registration, else
        (for a person who left the county) the village where their latest event was recorded."""
        return (
            self.state["residence_orgunit_id"] or self.state["hukou_orgunit_id"] or self.last_seen
        )


def validate_persons(
    table: pa.Table, check: RowChecker, *, first_row: int, seen: Seen, numbers: array.array
) -> list[PersonRow]:
    """Valid person rows of a chunk whose first row is ``first_row``, in file order.

    Problems go to ``check``; each identity number read is appended to ``numbers`` as its
    hash and row (two ints), for ``duplicate_ids`` to find the numbers given twice.
    """
    names = sorted(table.column_names)
    cols = {name: table.column(name).to_pylist() for name in names}
    n = table.num_rows
    empty = [""] * n
    get = lambda name: cols.get(name, empty)  # noqa: E731
    protector = crypto.default_protector()
    out: list[PersonRow] = []
    columns = [cols[name] for name in names]
    for i, (
        values,
        ref,
        id_text,
        name,
        sex_text,
        birth_text,
        ethnicity,
        hukou_code,
        hukou_text,
        residence_code,
        marital_text,
        mother_ref,
        father_ref,
        order_text,
        status_text,
        death_text,
        household_ref,
        relation_text,
    ) in enumerate(
        zip(
            zip(*columns, strict=True),
            get("person_ref"),
            get("id_number"),
            get("name"),
            get("sex"),
            get("birth_date"),
            get("ethnicity"),
            get("hukou_code"),
            get("hukou_type"),
            get("residence_code"),
            get("marital_status"),
            get("mother_ref"),
            get("father_ref"),
            get("birth_order"),
            get("status"),
            get("death_date"),
            get("household_ref"),
            get("relation_to_head"),
            strict=True,
        ),
        start=first_row,
    ):
        before = len(check.problems)
        if not ref:
            check.add("required", i, "person_ref")
        elif seen.again(ref):
            check.add("duplicate_key", i, "person_ref", ref)
        if not name:
            check.add("required", i, "name")
        sex = check.choice(sex_text, i, "sex", SEX) if sex_text else check.add("required", i, "sex")
        birth = check.date(birth_text, i, "birth_date", required=True)
        hukou = check.place(hukou_code, i, "hukou_code", required=True, leaf=False)
        residence = check.place(residence_code, i, "residence_code", required=True, leaf=True)
        hukou_type = check.choice(hukou_text, i, "hukou_type", HUKOU_TYPE)
        marital = check.choice(marital_text, i, "marital_status", MARITAL)
        status = check.choice(status_text, i, "status", STATUS, default="alive")
        relation = check.choice(relation_text, i, "relation_to_head", RELATION)
        death = check.date(death_text, i, "death_date", required=status == "dead")
        if birth and death and death < birth:
            check.add("death_before_birth", i, "death_date", death_text)
        order = None
        if order_text:
            if order_text.isdigit() and 0 < int(order_text) < 30:
                order = int(order_text)
            else:
                check.add("bad_number", i, "birth_order", order_text)
        id_fields = {"id_number_hash": "", "id_number_enc": "", "id_number_masked": ""}
        if id_text:
            try:
                parsed = idnumber.parse(id_text)
            except idnumber.InvalidIdNumber as exc:
                check.add(
                    "id_invalid",
                    i,
                    "id_number",
                    id_text,
                    reason_zh=exc.message_zh,
                    reason_en=exc.message_en,
                )
            else:
                if birth and parsed.birth_date != birth:
                    check.add(
                        "id_mismatch",
                        i,
                        "id_number",
                        id_text,
                        field_zh="出生日期",
                        field_en="the birth date",
                    )
                if sex and parsed.sex != sex:
                    check.add(
                        "id_mismatch", i, "id_number", id_text, field_zh="性别", field_en="the sex"
                    )
                number = parsed.number
                numbers.extend((hash(number), i))
                id_fields = {
                    "id_number_hash": protector.blind_index(number),
                    "id_number_enc": protector.encrypt(number),
                    "id_number_masked": crypto.mask_id_number(number),
                }
        if any(p.severity == "error" for p in check.problems[before:]):
            continue
        seen.add(ref)
        state = {
            "name": name,
            "sex": sex,
            "birth_date": birth.isoformat(),
            "ethnicity": ethnicity,
            **id_fields,
            # the initial load has no phone column: phones come with later reports
            "phone_hash": "",
            "phone_enc": "",
            "phone_masked": "",
            "hukou_orgunit_id": hukou.orgunit,
            "hukou_region": hukou.region,
            "hukou_type": hukou_type,
            "residence_orgunit_id": residence.orgunit,
            "residence_region": residence.region,
            "marital_status": marital,
            "mother_id": None,
            "father_id": None,
            "birth_order": order,
            "status": status,
            "death_date": death.isoformat() if death else None,
            "household_id": None,
            "relation_to_head": relation,
        }
        out.append(
            PersonRow(
                i, ref, state, mother_ref, father_ref, household_ref, row_fingerprint(list(values))
            )
        )
    return out
