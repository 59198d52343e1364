"""The feature relation: one row per person checked, with the facts the rules look at.

Defined once, in SQL for DuckDB, over five relations with fixed schemas (``SCHEMAS``):
``q_person`` (the register's persons; ``id_number`` decrypted where a rule needs it),
``q_event`` (applied events), ``q_orgunit`` (the tree), ``q_region`` (known GB/T 2260 codes)
and ``q_subject`` (the ids of the persons to check). The single-record mode fills them with a
person's neighbourhood, the bulk mode with the whole register: the same query serves both.
"""

from __future__ import annotations

import pyarrow as pa

from renkou.quality.rules.base import age, legal_marriage_age

PERSON_SCHEMA = pa.schema(
    [
        ("id", pa.int64()),
        ("name", pa.string()),
        ("sex", pa.string()),
        ("birth_date", pa.date32()),
        ("ethnicity", pa.string()),
        ("id_hash", pa.string()),
        ("id_number", pa.string()),
        ("id_number_masked", pa.string()),
        ("hukou_orgunit", pa.string()),
        ("hukou_region", pa.string()),
        ("hukou_type", pa.string()),
        ("residence_orgunit", pa.string()),
        ("residence_region", pa.string()),
        ("marital_status", pa.string()),
        ("mother", pa.int64()),
        ("father", pa.int64()),
        ("birth_order", pa.int32()),
        ("status", pa.string()),
        ("death_date", pa.date32()),
        ("household", pa.int64()),
        ("relation_to_head", pa.string()),
    ]
)
EVENT_SCHEMA = pa.schema(
    [
        ("person", pa.int64()),
        ("kind", pa.string()),
        ("effective_date", pa.date32()),
        ("report_date", pa.date32()),
        ("orgunit", pa.string()),
    ]
)
ORGUNIT_SCHEMA = pa.schema(
    [
        ("code", pa.string()),
        ("level", pa.int32()),
        ("valid_from", pa.date32()),
        ("valid_to", pa.date32()),
    ]
)
REGION_SCHEMA = pa.schema([("code", pa.string())])
SUBJECT_SCHEMA = pa.schema([("id", pa.int64())])
SCHEMAS = {
    "q_person": PERSON_SCHEMA,
    "q_event": EVENT_SCHEMA,
    "q_orgunit": ORGUNIT_SCHEMA,
    "q_region": REGION_SCHEMA,
    "q_subject": SUBJECT_SCHEMA,
}

# Two deliveries of one mother at most this many days apart are one delivery (multiples
# born either side of midnight).
SAME_DELIVERY_DAYS = 1
# Events that do not count as "something happening to the person" for date checks.
NOT_HAPPENINGS = ("enrol", "correction")


def _sql() -> str:
    not_happening = ", ".join(f"'{k}'" for k in NOT_HAPPENINGS)
    earlier = f"o.birth_date < c.birth_date - {SAME_DELIVERY_DAYS}"
    marriage_age = age("p.birth_date", "e.effective_date")
    # No user input reaches this SQL: names and constants are ours.
    return f"""
WITH
subject AS (SELECT DISTINCT id FROM q_subject),
kid AS (SELECT id, mother, name, birth_date, birth_order, id_hash FROM q_person
        WHERE mother IS NOT NULL),
sib AS (
  SELECT c.id,
    count(*) FILTER (WHERE {earlier}) AS earlier_children,
    max(o.birth_order) FILTER (WHERE {earlier}) AS earlier_max_order,
    max(o.birth_date) FILTER (WHERE {earlier}) AS previous_delivery,
    count(*) FILTER (WHERE o.birth_order = c.birth_order
                     AND abs(date_diff('day', o.birth_date, c.birth_date)) > {SAME_DELIVERY_DAYS})
      AS same_order_children,
    count(*) FILTER (WHERE o.name = c.name AND o.birth_date = c.birth_date
                     AND coalesce(o.id_hash, '') = '' AND coalesce(c.id_hash, '') = '')
      AS same_name_records
  FROM kid c JOIN kid o ON o.mother = c.mother AND o.id <> c.id
  WHERE c.id IN (SELECT id FROM subject)
  GROUP BY c.id),
dup AS (
  SELECT id_hash, count(*) AS persons FROM q_person
  WHERE coalesce(id_hash, '') <> '' GROUP BY id_hash HAVING count(*) > 1),
hh AS (
  SELECT household, count(*) FILTER (WHERE relation_to_head = 'head' AND status = 'alive')
    AS heads
  FROM q_person WHERE household IS NOT NULL GROUP BY household),
ev AS (
  SELECT e.person,
    max(e.effective_date) FILTER (WHERE e.kind NOT IN ({not_happening}, 'birth', 'death'))
      AS last_event_date,
    min(e.effective_date) FILTER (WHERE e.kind NOT IN ({not_happening}, 'birth'))
      AS first_event_date,
    min(e.effective_date) FILTER (WHERE e.report_date < e.effective_date)
      AS reported_before_date,
    min(e.effective_date) FILTER (WHERE e.kind NOT IN ({not_happening}) AND (
      u.code IS NULL OR u.level <> 5 OR e.effective_date < u.valid_from
      OR e.effective_date > u.valid_to)) AS bad_unit_date,
    min(e.effective_date) FILTER (WHERE e.kind = 'marriage'
      AND {marriage_age} < {legal_marriage_age("p.sex", "e.effective_date")})
      AS young_marriage_date
  FROM q_event e
  JOIN q_person p ON p.id = e.person
  LEFT JOIN q_orgunit u ON u.code = e.orgunit
  WHERE e.person IN (SELECT id FROM subject)
  GROUP BY e.person),
mar AS (
  SELECT person, min(effective_date) FILTER (WHERE kind = 'marriage' AND previous = 'marriage')
    AS remarriage_date
  FROM (SELECT person, kind, effective_date,
          lag(kind) OVER (PARTITION BY person ORDER BY effective_date, kind) AS previous
        FROM q_event WHERE kind IN ('marriage', 'divorce', 'widowhood')
          AND person IN (SELECT id FROM subject))
  GROUP BY person)
SELECT p.*,
  CAST($as_of AS DATE) AS as_of,
  coalesce(p.residence_orgunit, p.hukou_orgunit) AS unit,
  m.birth_date AS mother_birth_date, m.sex AS mother_sex, m.death_date AS mother_death_date,
  f.birth_date AS father_birth_date, f.sex AS father_sex, f.death_date AS father_death_date,
  {age("m.birth_date", "p.birth_date")} AS mother_age,
  {age("f.birth_date", "p.birth_date")} AS father_age,
  sib.earlier_children, sib.earlier_max_order, sib.previous_delivery,
  coalesce(sib.earlier_max_order, 0) + 1 AS earlier_max_order_next,
  date_diff('day', sib.previous_delivery, p.birth_date) AS days_since_previous,
  sib.same_order_children, sib.same_name_records,
  dup.persons AS same_id_persons,
  hh.heads AS household_heads,
  ev.last_event_date, ev.first_event_date, ev.reported_before_date, ev.bad_unit_date,
  ev.young_marriage_date, mar.remarriage_date,
  ru.level AS residence_level, ru.valid_to AS residence_valid_to,
  hu.level AS hukou_level, hu.valid_to AS hukou_valid_to,
  substr(p.id_number, 1, 6) AS id_region,
  try_strptime(substr(p.id_number, 7, 8), '%Y%m%d')::DATE AS id_birth_date,
  CASE WHEN regexp_full_match(substr(p.id_number, 17, 1), '[0-9]')
       THEN CASE WHEN CAST(substr(p.id_number, 17, 1) AS INTEGER) % 2 = 1
                 THEN 'M' ELSE 'F' END END AS id_sex,
  regexp_full_match(p.id_number, '[0-9]{{17}}[0-9X]') AS id_well_formed,
  {_check_character("p.id_number")} AS id_expected_check,
  substr(p.id_number, 18, 1) AS id_check,
  (substr(p.id_number, 1, 6) IN (SELECT code FROM q_region)) AS id_region_known,
  (p.hukou_region IN (SELECT code FROM q_region)) AS hukou_region_known,
  (p.residence_region IN (SELECT code FROM q_region)) AS residence_region_known,
  {age("p.birth_date", "coalesce(p.death_date, CAST($as_of AS DATE))")} AS age
FROM q_person p
LEFT JOIN q_person m ON m.id = p.mother
LEFT JOIN q_person f ON f.id = p.father
LEFT JOIN sib ON sib.id = p.id
LEFT JOIN dup ON dup.id_hash = p.id_hash
LEFT JOIN hh ON hh.household = p.household
LEFT JOIN ev ON ev.person = p.id
LEFT JOIN mar ON mar.person = p.id
LEFT JOIN q_orgunit ru ON ru.code = p.residence_orgunit
LEFT JOIN q_orgunit hu ON hu.code = p.hukou_orgunit
WHERE p.id IN (SELECT id FROM subject)
"""  # noqa: S608


def _check_character(number: str) -> str:
    """SQL for the GB 11643 check character of an 18-character number (NULL if not digits)."""
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    terms = " + ".join(
        f"TRY_CAST(substr({number}, {i + 1}, 1) AS INTEGER) * {w}" for i, w in enumerate(weights)
    )
    return f"substr('10X98765432', 1 + (({terms}) % 11), 1)"


FEATURES_SQL = _sql()
