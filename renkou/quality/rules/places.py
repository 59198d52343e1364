"""Residence and registration rules: a place is given, is a village of the tree, still exists."""

from renkou.quality.rules.base import ERROR, Rule
from renkou.quality.rules.expr import col, filled

_ALIVE = col("status").eq("alive")
_HAS_RESIDENCE = col("residence_orgunit").not_null() | filled("residence_region")
_HAS_HUKOU = col("hukou_orgunit").not_null() | filled("hukou_region")

RULES = (
    Rule(
        code="Q-RES-MISSING",
        severity=ERROR,
        fields=("residence_orgunit",),
        when=_ALIVE & ~_HAS_RESIDENCE,
        message_zh="缺少现居住地",
        message_en="the residence is missing",
        rationale="常住 figures count people where they live; a person with no place is lost.",
        required=(_ALIVE, _HAS_RESIDENCE),
    ),
    Rule(
        code="Q-HUKOU-MISSING",
        severity=ERROR,
        fields=("hukou_orgunit",),
        when=_ALIVE & ~_HAS_HUKOU,
        message_zh="缺少户籍地",
        message_en="the registered place (hukou) is missing",
        rationale="户籍 figures count people where they are registered.",
        required=(_ALIVE, _HAS_HUKOU),
    ),
    Rule(
        code="Q-RES-NOT-VILLAGE",
        severity=ERROR,
        fields=("residence_orgunit",),
        when=col("residence_orgunit").not_null() & col("residence_level").distinct_from(5),
        values=("residence_orgunit",),
        message_zh="现居住地 {residence_orgunit} 不是本区划树中的村（居）",
        message_en="residence {residence_orgunit} is not a village of the tree",
        rationale="People live in villages (the leaves); a township cannot be counted per village.",
    ),
    Rule(
        code="Q-RES-UNIT-CLOSED",
        severity=ERROR,
        fields=("residence_orgunit",),
        when=_ALIVE & (col("residence_valid_to") < col("as_of")),
        values=("residence_orgunit", "residence_valid_to"),
        message_zh="现居住地 {residence_orgunit} 已于 {residence_valid_to} 撤销",
        message_en="residence {residence_orgunit} ceased to exist on {residence_valid_to}",
        rationale="After a merger residents belong to the new unit; move them there.",
    ),
    Rule(
        code="Q-HUKOU-UNIT-CLOSED",
        severity=ERROR,
        fields=("hukou_orgunit",),
        when=_ALIVE & (col("hukou_valid_to") < col("as_of")),
        values=("hukou_orgunit", "hukou_valid_to"),
        message_zh="户籍地 {hukou_orgunit} 已于 {hukou_valid_to} 撤销",
        message_en="registered place {hukou_orgunit} ceased to exist on {hukou_valid_to}",
        rationale="After a merger registrations belong to the new unit.",
    ),
    Rule(
        code="Q-PLACE-REGION-UNKNOWN",
        severity=ERROR,
        fields=("hukou_region", "residence_region"),
        when=(filled("hukou_region") & ~col("hukou_region_known"))
        | (filled("residence_region") & ~col("residence_region_known")),
        values=("hukou_region", "residence_region"),
        message_zh="户籍地 {hukou_region} 或居住地 {residence_region} 不是已知的行政区划代码",
        message_en="place elsewhere {hukou_region} / {residence_region} is not a known region code",
        rationale="Places outside the tree are GB/T 2260 codes; an unknown code is a typo.",
    ),
)
