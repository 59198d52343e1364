"""Facts the rules need, read from the register in one pass into numpy arrays.

Persons are rows 0..n-1 (sorted by id); links are row numbers (-1 when unknown) and dates
are ``datetime64[D]`` (NaT when unknown), so every programme is a few vectorised
expressions over the whole county.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from django.db import connection

NAT = np.datetime64("NaT", "D")


@dataclass
class Facts:
    """The register as arrays, plus the records the benefits app keeps."""

    pid: np.ndarray  # int64 person ids, sorted
    female: np.ndarray  # bool
    birth: np.ndarray  # datetime64[D]
    death: np.ndarray  # datetime64[D]; NaT while alive
    dead_no_date: np.ndarray  # bool: status dead but no death date (a missing fact)
    rural: np.ndarray  # int8: 1 rural, 0 urban, -1 unknown
    orgunit: np.ndarray  # str registered-place org unit code, "" unknown
    mother: np.ndarray  # int64 row, -1 unknown
    father: np.ndarray  # int64 row, -1 unknown
    edge_parent: np.ndarray  # parent row of each parent-child link (births and adoptions)
    edge_child: np.ndarray  # child row
    edge_since: np.ndarray  # birth or adoption date
    edge_adopted: np.ndarray  # bool
    dis_person: np.ndarray  # disability records: person row, grade, from, until (NaT open)
    dis_grade: np.ndarray
    dis_from: np.ndarray
    dis_until: np.ndarray
    cert_holder: np.ndarray  # only-child certificates: holder row, child row, issued, revoked
    cert_child: np.ndarray
    cert_issued: np.ndarray
    cert_revoked: np.ndarray

    def rows(self, ids: np.ndarray) -> np.ndarray:
        """Rows of person ids (-1 for None/unknown)."""
        ids = np.asarray(ids, dtype=np.int64)
        pos = np.searchsorted(self.pid, ids)
        pos = np.clip(pos, 0, max(len(self.pid) - 1, 0))
        found = (ids >= 0) & (len(self.pid) > 0)
        found &= self.pid[pos] == ids if len(self.pid) else False
        return np.where(found, pos, -1)


def _dates(values: list) -> np.ndarray:
    return np.array([str(v) if v is not None else "NaT" for v in values], dtype="datetime64[D]")


def _ids(values: list) -> np.ndarray:
    return np.array([-1 if v is None else v for v in values], dtype=np.int64)


def _fetch(sql: str) -> list[tuple]:
    with connection.cursor() as cur:
        cur.execute(sql)
        return cur.fetchall()


def facts_from_register() -> Facts:
    """Read persons, adoptions, disability records and certificates into arrays."""
    rows = _fetch(
        "SELECT id, sex, birth_date, death_date, status, hukou_type, hukou_orgunit_id,"
        " mother_id, father_id FROM registry_person ORDER BY id"
    )
    cols = list(zip(*rows, strict=True)) if rows else [[] for _ in range(9)]
    pid = np.array(cols[0], dtype=np.int64)
    status = np.array(cols[4], dtype=object)
    hukou = np.array(cols[5], dtype=object)
    facts = Facts(
        pid=pid,
        female=np.array(cols[1], dtype=object) == "F",
        birth=_dates(cols[2]),
        death=_dates(cols[3]),
        dead_no_date=(status == "dead") & (np.array(cols[3], dtype=object) == None),  # noqa: E711
        rural=np.where(hukou == "rural", 1, np.where(hukou == "urban", 0, -1)).astype(np.int8),
        orgunit=np.array(["" if c is None else c for c in cols[6]], dtype=str),
        mother=np.empty(0, np.int64),
        father=np.empty(0, np.int64),
        **{k: np.empty(0) for k in _RECORD_FIELDS},
    )
    facts.mother = facts.rows(_ids(cols[7]))
    facts.father = facts.rows(_ids(cols[8]))
    adoptions = _fetch("SELECT parent_id, child_id, adopted_on FROM benefits_adoption")
    _set_edges(facts, adoptions)
    dis = _fetch("SELECT person_id, grade, valid_from, valid_until FROM benefits_disabilityrecord")
    dcols = list(zip(*dis, strict=True)) if dis else [[] for _ in range(4)]
    facts.dis_person = facts.rows(_ids(dcols[0]))
    facts.dis_grade = np.array(dcols[1], dtype=np.int64)
    facts.dis_from, facts.dis_until = _dates(dcols[2]), _dates(dcols[3])
    certs = _fetch(
        "SELECT holder_id, child_id, issued_on, revoked_on FROM benefits_onlychildcertificate"
    )
    ccols = list(zip(*certs, strict=True)) if certs else [[] for _ in range(4)]
    facts.cert_holder = facts.rows(_ids(ccols[0]))
    facts.cert_child = facts.rows(_ids(ccols[1]))
    facts.cert_issued, facts.cert_revoked = _dates(ccols[2]), _dates(ccols[3])
    return facts


_RECORD_FIELDS = (
    "edge_parent",
    "edge_child",
    "edge_since",
    "edge_adopted",
    "dis_person",
    "dis_grade",
    "dis_from",
    "dis_until",
    "cert_holder",
    "cert_child",
    "cert_issued",
    "cert_revoked",
)


def _set_edges(facts: Facts, adoptions: list[tuple]) -> None:
    """Parent-child links: every known mother and father, plus adoptions from their date."""
    n = len(facts.pid)
    rows = np.arange(n, dtype=np.int64)
    has_m, has_f = facts.mother >= 0, facts.father >= 0
    acols = list(zip(*adoptions, strict=True)) if adoptions else [[] for _ in range(3)]
    a_parent, a_child = facts.rows(_ids(acols[0])), facts.rows(_ids(acols[1]))
    facts.edge_parent = np.concatenate([facts.mother[has_m], facts.father[has_f], a_parent])
    facts.edge_child = np.concatenate([rows[has_m], rows[has_f], a_child])
    facts.edge_since = np.concatenate([facts.birth[has_m], facts.birth[has_f], _dates(acols[2])])
    facts.edge_adopted = np.concatenate(
        [np.zeros(has_m.sum() + has_f.sum(), bool), np.ones(len(a_parent), bool)]
    )
    known = (facts.edge_parent >= 0) & (facts.edge_child >= 0)
    for name in ("edge_parent", "edge_child", "edge_since", "edge_adopted"):
        setattr(facts, name, getattr(facts, name)[known])
