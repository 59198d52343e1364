"""Marital rules: legal age at marriage, a second marriage with no divorce or widowhood."""

from renkou.quality.rules.base import ERROR, WARNING, Rule, legal_marriage_age_of
from renkou.quality.rules.expr import all_of, col

RULES = (
    Rule(
        code="Q-MAR-UNDER-AGE",
        severity=ERROR,
        fields=("marital_status", "birth_date"),
        when=col("young_marriage_date").not_null()
        | all_of(
            col("status").eq("alive"),
            col("marital_status").isin(("married", "divorced", "widowed")),
            col("age") < legal_marriage_age_of("sex", "as_of"),
        ),
        values=("marital_status", "age", "young_marriage_date"),
        message_zh=(
            "未到法定婚龄即登记为已婚（婚姻状况 {marital_status}，{age} 岁，结婚日期"
            " {young_marriage_date}）"
        ),
        message_en=(
            "married below the legal age (status {marital_status}, aged {age},"
            " marriage on {young_marriage_date})"
        ),
        rationale=(
            "Men marry from 22, women from 20 (from 1981; 20 and 18 before): a date "
            "or status is wrong."
        ),
    ),
    Rule(
        code="Q-MAR-TWICE",
        severity=WARNING,
        fields=("marital_status",),
        when=col("remarriage_date").not_null(),
        values=("remarriage_date",),
        message_zh="{remarriage_date} 再次结婚，此前没有离婚或丧偶记录",
        message_en=(
            "married again on {remarriage_date} with no divorce or widowhood recorded since the"
            " last marriage"
        ),
        # A widowhood (recorded when the spouse's death is applied) ends the marriage too.
        rationale=(
            "A divorce is missing, or the spouse died outside the register (confirm with a reason)."
        ),
    ),
)
