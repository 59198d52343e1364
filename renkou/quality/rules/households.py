"""Household rules: one living head per household."""

from renkou.quality.rules.base import WARNING, Rule
from renkou.quality.rules.expr import all_of, col

RULES = (
    Rule(
        code="Q-HH-NO-HEAD",
        severity=WARNING,
        fields=("household", "relation_to_head"),
        when=all_of(
            col("status").eq("alive"), col("household").not_null(), col("household_heads").eq(0)
        ),
        message_zh="所在户没有在世的户主",
        message_en="the household has no living head",
        rationale="Every household has a head (户主); after a death a new one is named.",
    ),
    Rule(
        code="Q-HH-TWO-HEADS",
        severity=WARNING,
        fields=("relation_to_head",),
        when=all_of(
            col("status").eq("alive"),
            col("relation_to_head").eq("head"),
            col("household_heads") > 1,
        ),
        values=("household_heads",),
        message_zh="所在户有 {household_heads} 个户主",
        message_en="the household has {household_heads} heads",
        rationale="A household has one head; the others' relation is wrong.",
    ),
)
