"""Completeness rules (完整率): required fields that are empty."""

from renkou.quality.rules.base import required
from renkou.quality.rules.expr import col, filled, lit

_ALL = lit(True)
_ALIVE = col("status").eq("alive")
_text = filled


RULES = (
    required("Q-REQ-NAME", "name", _text("name"), _ALL, "姓名", "the name"),
    required("Q-REQ-SEX", "sex", col("sex").isin(("M", "F")), _ALL, "性别", "the sex"),
    required(
        "Q-REQ-BIRTH-DATE",
        "birth_date",
        col("birth_date").not_null(),
        _ALL,
        "出生日期",
        "the birth date",
    ),
    required("Q-REQ-ETHNICITY", "ethnicity", _text("ethnicity"), _ALL, "民族", "the ethnicity"),
    required(
        "Q-REQ-ID-NUMBER",
        "id_number",
        filled("id_hash"),
        _ALIVE & (col("age") >= 1),
        "身份证号（满 1 岁）",
        "the identity number (from age 1)",
    ),
    required(
        "Q-REQ-HUKOU-TYPE",
        "hukou_type",
        _text("hukou_type"),
        _ALIVE,
        "户口性质",
        "the registration type",
    ),
    required(
        "Q-REQ-MARITAL",
        "marital_status",
        _text("marital_status"),
        _ALL,
        "婚姻状况",
        "the marital status",
    ),
    required(
        "Q-REQ-RELATION",
        "relation_to_head",
        _text("relation_to_head"),
        col("household").not_null(),
        "与户主关系",
        "the relation to the head of household",
    ),
)
