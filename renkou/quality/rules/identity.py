"""Identity-number rules (公民身份号码, GB 11643): form, check character, agreement, duplicates."""

from renkou.quality.rules.base import ERROR, WARNING, Rule
from renkou.quality.rules.expr import all_of, col, empty

_HAS = col("id_number").not_null()
_FORMED = _HAS & col("id_well_formed")

RULES = (
    Rule(
        code="Q-ID-UNREADABLE",
        severity=ERROR,
        fields=("id_number",),
        when=~empty("id_hash") & col("id_number").is_null(),
        message_zh="身份证号密文无法解密（密钥缺失或数据被改动）",
        message_en="the stored identity number cannot be decrypted (missing key or altered data)",
        rationale=(
            "A number nobody can read cannot be checked or shown; restore the key or re-enter it."
        ),
    ),
    Rule(
        code="Q-ID-FORMAT",
        severity=ERROR,
        fields=("id_number",),
        when=_HAS & ~col("id_well_formed"),
        values=("id_number_masked",),
        message_zh="身份证号 {id_number_masked} 格式错误：应为 17 位数字加 1 位数字或 X",
        message_en="identity number {id_number_masked} is malformed: 17 digits then a digit or X",
        rationale="GB 11643-1999 numbers have 18 characters; anything else was mistyped.",
    ),
    Rule(
        code="Q-ID-CHECKSUM",
        severity=ERROR,
        fields=("id_number",),
        when=_FORMED & col("id_check").ne(col("id_expected_check")),
        values=("id_number_masked", "id_check", "id_expected_check"),
        message_zh=(
            "身份证号 {id_number_masked} 校验码为 {id_check}，按前 17 位应为 {id_expected_check}"
        ),
        message_en=(
            "identity number {id_number_masked} has check character {id_check};"
            " the first 17 digits give {id_expected_check}"
        ),
        rationale="The check character (ISO 7064 MOD 11-2) catches nearly every single-digit typo.",
    ),
    Rule(
        code="Q-ID-BIRTH-DATE",
        severity=ERROR,
        fields=("id_number", "birth_date"),
        when=_FORMED & col("id_birth_date").distinct_from(col("birth_date")),
        values=("id_number_masked", "id_birth_date", "birth_date"),
        message_zh=(
            "身份证号 {id_number_masked} 中的出生日期 {id_birth_date} 与登记的出生日"
            "期 {birth_date} 不符"
        ),
        message_en=(
            "identity number {id_number_masked} encodes birth date {id_birth_date}, "
            "the register says {birth_date}"
        ),
        rationale="Digits 7-14 of the number are the birth date; one of the two is wrong.",
    ),
    Rule(
        code="Q-ID-SEX",
        severity=ERROR,
        fields=("id_number", "sex"),
        when=_FORMED & col("id_sex").ne(col("sex")),
        values=("id_number_masked", "sex"),
        message_zh="身份证号 {id_number_masked} 的顺序码表示的性别与登记性别 {sex} 不符",
        message_en=(
            "identity number {id_number_masked} encodes the other sex than the register's {sex}"
        ),
        rationale="Digit 17 is odd for men and even for women.",
    ),
    Rule(
        code="Q-ID-REGION",
        severity=ERROR,
        fields=("id_number",),
        when=_FORMED & ~col("id_region_known"),
        values=("id_number_masked", "id_region"),
        message_zh="身份证号 {id_number_masked} 的地址码 {id_region} 不是已知的行政区划代码",
        message_en=(
            "identity number {id_number_masked}: region code {id_region} is not a known code"
        ),
        rationale="Digits 1-6 are a GB/T 2260 code (current or abolished) where it was issued.",
    ),
    Rule(
        code="Q-ID-DUPLICATE",
        severity=ERROR,
        fields=("id_number",),
        when=col("same_id_persons") > 1,
        values=("id_number_masked", "same_id_persons"),
        message_zh="身份证号 {id_number_masked} 登记在 {same_id_persons} 个人名下",
        message_en="identity number {id_number_masked} is held by {same_id_persons} persons",
        rationale="A number belongs to one person: either a duplicate record or a wrong number.",
    ),
    Rule(
        code="Q-ID-MISSING-ADULT",
        severity=WARNING,
        fields=("id_number",),
        when=all_of(col("status").eq("alive"), empty("id_hash"), col("age") >= 16),
        values=("age",),
        message_zh="{age} 岁的人员没有身份证号",
        message_en="a person aged {age} has no identity number",
        rationale="Everyone must hold an identity card from 16 (居民身份证法 art. 2).",
    ),
)
