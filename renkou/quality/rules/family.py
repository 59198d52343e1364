"""Family rules: parents' ages and sexes, children after parents, parity, spacing of births.

Every family rule flags the child's record: a child has one mother, so one wrong date is
one finding, on the record whose link or date is to be checked.
"""

from renkou.quality.rules.base import ERROR, WARNING, Rule
from renkou.quality.rules.expr import any_of, col

_AFTER_MOTHER = col("birth_date") > col("mother_birth_date")
_MOTHER_AGE = col("mother_age")

RULES = (
    Rule(
        code="Q-FAM-BEFORE-MOTHER",
        severity=ERROR,
        fields=("mother", "birth_date"),
        when=col("birth_date") <= col("mother_birth_date"),
        values=("birth_date", "mother_birth_date"),
        message_zh="出生日期 {birth_date} 不晚于母亲的出生日期 {mother_birth_date}",
        message_en="born on {birth_date}, not after the mother ({mother_birth_date})",
        rationale="A child is born after the mother: the link or one of the dates is wrong.",
    ),
    Rule(
        code="Q-FAM-MOTHER-AGE",
        severity=ERROR,
        fields=("mother", "birth_date"),
        when=_AFTER_MOTHER & ((_MOTHER_AGE < 12) | (_MOTHER_AGE > 55)),
        values=("mother_age", "birth_date"),
        message_zh="生育时母亲 {mother_age} 岁，超出 12–55 岁",
        message_en="the mother was {mother_age} at the birth, outside 12-55",
        rationale="Births outside 12-55 are practically unknown; a date or the link is wrong.",
    ),
    Rule(
        code="Q-FAM-MOTHER-AGE-UNUSUAL",
        severity=WARNING,
        fields=("mother", "birth_date"),
        when=_AFTER_MOTHER
        & _MOTHER_AGE.between(12, 55)
        & ((_MOTHER_AGE < 15) | (_MOTHER_AGE > 49)),
        values=("mother_age", "birth_date"),
        message_zh="生育时母亲 {mother_age} 岁，不在 15–49 岁之间，请核实",
        message_en="the mother was {mother_age} at the birth, outside 15-49: please verify",
        rationale="Rare but real (confirm with a reason); 15-49 is the reproductive age band.",
    ),
    Rule(
        code="Q-FAM-BEFORE-FATHER",
        severity=ERROR,
        fields=("father", "birth_date"),
        when=col("birth_date") <= col("father_birth_date"),
        values=("birth_date", "father_birth_date"),
        message_zh="出生日期 {birth_date} 不晚于父亲的出生日期 {father_birth_date}",
        message_en="born on {birth_date}, not after the father ({father_birth_date})",
        rationale="A child is born after the father: the link or one of the dates is wrong.",
    ),
    Rule(
        code="Q-FAM-FATHER-AGE",
        severity=ERROR,
        fields=("father", "birth_date"),
        when=(col("birth_date") > col("father_birth_date")) & (col("father_age") < 16),
        values=("father_age",),
        message_zh="出生时父亲只有 {father_age} 岁",
        message_en="the father was only {father_age} at the birth",
        rationale="A father under 16 is almost always a wrong link or date.",
    ),
    Rule(
        code="Q-FAM-MOTHER-SEX",
        severity=ERROR,
        fields=("mother",),
        when=col("mother_sex").ne("F"),
        message_zh="登记的母亲性别不是女",
        message_en="the person linked as mother is not female",
        rationale="The mother link points at the wrong person, or that person's sex is wrong.",
    ),
    Rule(
        code="Q-FAM-FATHER-SEX",
        severity=ERROR,
        fields=("father",),
        when=col("father_sex").ne("M"),
        message_zh="登记的父亲性别不是男",
        message_en="the person linked as father is not male",
        rationale="The father link points at the wrong person, or that person's sex is wrong.",
    ),
    Rule(
        code="Q-FAM-OWN-PARENT",
        severity=ERROR,
        fields=("mother", "father"),
        when=any_of(
            col("mother").eq(col("id")),
            col("father").eq(col("id")),
            col("mother").eq(col("father")),
        ),
        message_zh="本人被登记为自己的父亲或母亲，或父母为同一人",
        message_en="the person is linked as their own parent, or both parents are one person",
        rationale="A link typed into the wrong field.",
    ),
    Rule(
        code="Q-FAM-MOTHER-DEAD",
        severity=ERROR,
        fields=("mother", "birth_date"),
        when=col("mother_death_date") < col("birth_date"),
        values=("mother_death_date", "birth_date"),
        message_zh="母亲死亡日期 {mother_death_date} 早于出生日期 {birth_date}",
        message_en="the mother died on {mother_death_date}, before the birth on {birth_date}",
        rationale="A mother cannot give birth after her death.",
    ),
    Rule(
        code="Q-FAM-FATHER-DEAD",
        severity=ERROR,
        fields=("father", "birth_date"),
        when=col("father_death_date") < col("birth_date") - 300,
        values=("father_death_date", "birth_date"),
        message_zh="父亲死亡日期 {father_death_date} 早于出生日期 {birth_date} 300 天以上",
        message_en=(
            "the father died on {father_death_date}, over 300 days before the birth on {birth_date}"
        ),
        rationale="A pregnancy lasts at most about 300 days.",
    ),
    Rule(
        code="Q-PARITY-TOO-LOW",
        severity=ERROR,
        fields=("birth_order",),
        when=col("birth_order") <= col("earlier_children"),
        values=("birth_order", "earlier_children"),
        message_zh="孩次为 {birth_order}，但母亲在此之前已有 {earlier_children} 个孩子登记",
        message_en=(
            "birth order {birth_order}, but the mother has {earlier_children} earlier "
            "children registered"
        ),
        rationale=(
            "Order counts the mother's live births so far; it is at least her earlier ones + 1."
        ),
    ),
    Rule(
        code="Q-PARITY-DUPLICATE",
        severity=ERROR,
        fields=("birth_order",),
        when=col("same_order_children") > 0,
        values=("birth_order",),
        message_zh="母亲另有一个不同日期出生的孩子孩次也是 {birth_order}",
        message_en="another child of the mother, born on another day, also has order {birth_order}",
        rationale="Only children of one delivery (multiples) share a birth order.",
    ),
    Rule(
        code="Q-PARITY-GAP",
        severity=WARNING,
        fields=("birth_order",),
        when=(col("earlier_children") > 0) & (col("birth_order") > col("earlier_max_order_next")),
        values=("birth_order", "earlier_max_order"),
        message_zh=(
            "孩次为 {birth_order}，母亲此前登记的孩子最高孩次为 {earlier_max_order}，中间有缺漏"
        ),
        message_en=(
            "birth order {birth_order} while the mother's earlier children reach "
            "{earlier_max_order}: "
            "a child is missing"
        ),
        rationale="A gap in the orders means a birth not registered here (or a wrong order).",
    ),
    Rule(
        code="Q-BIRTH-SPACING",
        severity=ERROR,
        fields=("birth_date", "mother"),
        when=col("days_since_previous") < 180,
        values=("days_since_previous", "previous_delivery"),
        message_zh="距母亲上一次分娩（{previous_delivery}）仅 {days_since_previous} 天",
        message_en=(
            "only {days_since_previous} days after the mother's previous delivery "
            "({previous_delivery})"
        ),
        rationale=(
            "Two deliveries less than six months apart are impossible (multiples are one day)."
        ),
    ),
    Rule(
        code="Q-BIRTH-SPACING-SHORT",
        severity=WARNING,
        fields=("birth_date", "mother"),
        when=col("days_since_previous").between(180, 269),
        values=("days_since_previous", "previous_delivery"),
        message_zh="距母亲上一次分娩（{previous_delivery}）仅 {days_since_previous} 天，请核实",
        message_en=(
            "{days_since_previous} days after the mother's previous delivery "
            "({previous_delivery}): please verify"
        ),
        rationale="Possible only for a very premature second child; usually a wrong date.",
    ),
    Rule(
        code="Q-DUP-NO-ID",
        severity=ERROR,
        fields=("name", "birth_date", "mother"),
        when=col("same_name_records") > 0,
        values=("name", "birth_date"),
        message_zh=(
            "同一母亲名下另有同名（{name}）同日（{birth_date}）出生、无身份证号的记录，疑为重复登记"
        ),
        message_en=(
            "the mother has another record of {name} born {birth_date} without an identity "
            "number: entered twice?"
        ),
        rationale="The same child entered twice before an identity number was issued.",
    ),
)
