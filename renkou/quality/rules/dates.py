"""Date rules: nothing in the future, death after birth, status and death date agreeing."""

from renkou.quality.rules.base import ERROR, WARNING, Rule
from renkou.quality.rules.expr import col

_ALIVE = col("status").eq("alive")

RULES = (
    Rule(
        code="Q-DATE-BIRTH-FUTURE",
        severity=ERROR,
        fields=("birth_date",),
        when=col("birth_date") > col("as_of"),
        values=("birth_date",),
        message_zh="出生日期 {birth_date} 晚于今天",
        message_en="birth date {birth_date} is in the future",
        rationale="Nobody in the register can be born after today.",
    ),
    Rule(
        code="Q-DATE-DEATH-FUTURE",
        severity=ERROR,
        fields=("death_date",),
        when=col("death_date") > col("as_of"),
        values=("death_date",),
        message_zh="死亡日期 {death_date} 晚于今天",
        message_en="death date {death_date} is in the future",
        rationale="A death is recorded after it happened.",
    ),
    Rule(
        code="Q-DATE-DEATH-BEFORE-BIRTH",
        severity=ERROR,
        fields=("birth_date", "death_date"),
        when=col("death_date") < col("birth_date"),
        values=("death_date", "birth_date"),
        message_zh="死亡日期 {death_date} 早于出生日期 {birth_date}",
        message_en="death date {death_date} is before the birth date {birth_date}",
        rationale="One of the two dates is wrong.",
    ),
    Rule(
        code="Q-STATUS-DEAD-NO-DATE",
        severity=ERROR,
        fields=("status", "death_date"),
        when=col("status").eq("dead") & col("death_date").is_null(),
        message_zh="状态为死亡但没有死亡日期",
        message_en="status is dead but there is no death date",
        rationale=(
            "Deaths are counted by date; a death without one is missing from every statistic."
        ),
    ),
    Rule(
        code="Q-STATUS-DATE-NOT-DEAD",
        severity=ERROR,
        fields=("status", "death_date"),
        when=col("death_date").not_null() & col("status").ne("dead"),
        values=("death_date", "status"),
        message_zh="有死亡日期 {death_date} 但状态为 {status}",
        message_en="there is a death date {death_date} but the status is {status}",
        rationale="Either the death or the status is wrong; the person is counted twice or never.",
    ),
    Rule(
        code="Q-AGE-OVER-110",
        severity=WARNING,
        fields=("birth_date",),
        when=_ALIVE & (col("age") > 110) & (col("age") <= 125),
        values=("age", "birth_date"),
        message_zh="在世人员年龄 {age} 岁（出生于 {birth_date}），请核实",
        message_en="a living person aged {age} (born {birth_date}): please verify",
        rationale="Possible but rare; often a death that was not reported or a wrong year.",
    ),
    Rule(
        code="Q-AGE-IMPOSSIBLE",
        severity=ERROR,
        fields=("birth_date", "status"),
        when=_ALIVE & (col("age") > 125),
        values=("age", "birth_date"),
        message_zh="在世人员年龄 {age} 岁（出生于 {birth_date}），超过已知最高寿命",
        message_en=(
            "a living person aged {age} (born {birth_date}), older than anyone ever verified"
        ),
        rationale=(
            "Nobody has been verified to live past 122: the birth date or the status is wrong."
        ),
    ),
)
