"""Rules over a person's applied events: nothing before birth or after death, places valid."""

from renkou.quality.rules.base import ERROR, Rule
from renkou.quality.rules.expr import col

RULES = (
    Rule(
        code="Q-EVENT-AFTER-DEATH",
        severity=ERROR,
        fields=("death_date",),
        when=col("last_event_date") > col("death_date"),
        values=("last_event_date", "death_date"),
        message_zh="死亡（{death_date}）之后还有 {last_event_date} 的变动",
        message_en="a change on {last_event_date} after the death on {death_date}",
        rationale="A dead person cannot move, marry or divorce: the death or the change is wrong.",
    ),
    Rule(
        code="Q-EVENT-BEFORE-BIRTH",
        severity=ERROR,
        fields=("birth_date",),
        when=col("first_event_date") < col("birth_date"),
        values=("first_event_date", "birth_date"),
        message_zh="出生（{birth_date}）之前就有 {first_event_date} 的变动",
        message_en="a change on {first_event_date} before the birth on {birth_date}",
        rationale="Nothing happens to a person before they are born.",
    ),
    Rule(
        code="Q-EVENT-REPORTED-BEFORE",
        severity=ERROR,
        fields=(),
        when=col("reported_before_date").not_null(),
        values=("reported_before_date",),
        message_zh="{reported_before_date} 的变动的报告日期早于发生日期",
        message_en="the change of {reported_before_date} was reported before it happened",
        rationale="A report date before the event date makes the timeliness figures wrong.",
    ),
    Rule(
        code="Q-EVENT-UNIT-INVALID",
        severity=ERROR,
        fields=(),
        when=col("bad_unit_date").not_null(),
        values=("bad_unit_date",),
        message_zh="{bad_unit_date} 的变动登记在当日不存在或非村（居）级的区划",
        message_en=(
            "the change of {bad_unit_date} is recorded at a unit that was not a village"
            " existing on that day"
        ),
        rationale="Events are counted per village; a merged or non-leaf unit loses them.",
    ),
)
