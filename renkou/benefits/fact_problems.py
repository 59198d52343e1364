"""Reasons a row of a fact file is refused, added to the shared zh/en problem catalogue."""

from __future__ import annotations

from renkou.core.problems import MESSAGES

MESSAGES.update(
    {
        "fact_person_unknown": (
            "身份证号 {value} 在人口库中找不到；请先登记此人",
            "identity number {value} is not in the register; register the person first",
        ),
        "fact_person_outside": (
            "身份证号 {value} 的人不在 {area} 辖区内",
            "the person of identity number {value} is not in the area of {area}",
        ),
        "fact_name_mismatch": (
            "姓名 {value} 与人口库中此身份证号的姓名（{registered}）不符",
            "name {value} is not the register's name for this identity number ({registered})",
        ),
        "account_digits": (
            "账号 {value} 应为 8 到 30 位数字",
            "account {value} should be 8 to 30 digits",
        ),
        "account_check_digit": (
            "银行卡号 {value} 的校验位不对（Luhn 校验），可能抄错了一位",
            "card number {value} fails its check digit (Luhn): a digit may be mistyped",
        ),
        "account_payee_minor": (
            "{value} 未满 18 周岁：补助发给父母（育儿补贴发给申领的父亲或母亲），"
            "账号应登记在父母名下",
            "{value} is under 18: benefits are paid to a parent (the childcare subsidy to the "
            "mother or father who applies), so the account belongs to the parent",
        ),
        "account_payee_dead": (
            "{value} 已于 {died} 死亡，不能登记收款账号",
            "{value} died on {died}: no account can be recorded for a payee who died",
        ),
        "fact_duplicate": (
            "与第 {first} 行重复",
            "the same as row {first}",
        ),
        "fact_conflict": (
            "与第 {other} 行矛盾（{what}）；两行都未导入，请核实后重新导入",
            "contradicts row {other} ({what}); neither row was imported: check them and "
            "import again",
        ),
        "grade_invalid": (
            "残疾等级 {value} 无法识别（应为 1 到 4 级）",
            "disability grade {value} is not recognised (grade 1 to 4)",
        ),
        "dates_order": (
            "截止日期 {value} 早于起始日期 {start}",
            "end date {value} is before the start date {start}",
        ),
        "certificate_other_child": (
            "独生子女证 {value} 已登记给另一个孩子（{registered}）；一证只对应一个孩子",
            "only-child certificate {value} is recorded for another child ({registered}); a "
            "certificate is for one child",
        ),
        "certificate_not_parent": (
            "人口库中 {value} 不是持证人的子女（也没有收养登记）",
            "{value} is not the holder's child in the register (nor adopted by the holder)",
        ),
        "certificate_unknown": (
            "找不到编号为 {value} 的独生子女证",
            "no only-child certificate numbered {value} is recorded",
        ),
        "certificate_revoked_other_day": (
            "独生子女证 {value} 已于 {revoked} 注销",
            "only-child certificate {value} was revoked on {revoked} already",
        ),
        "adoption_same_person": (
            "收养人与被收养人是同一人",
            "the adoptive parent and the child are the same person",
        ),
        "adoption_child_older": (
            "被收养人 {value} 不比收养人年轻",
            "the child {value} is not younger than the adoptive parent",
        ),
        "application_not_parent": (
            "人口库中申领人 {value} 不是 {child} 的父亲、母亲或收养人",
            "the applicant {value} is not the father, mother or adoptive parent of {child} in "
            "the register",
        ),
        "application_months_order": (
            "终止月份 {value} 早于起始月份 {first}",
            "the last month {value} is before the first month {first}",
        ),
        "application_no_month": (
            "{value} 没有可以领取育儿补贴的月份",
            "{value} is not entitled to the childcare subsidy for any month",
        ),
        "application_outside_window": (
            "申领月份 {value} 超出可领取的月份（{start} 至 {end}：自出生当月起，至三周岁前）",
            "the months {value} lie outside those the subsidy pays ({start} to {end}: from the "
            "birth month, before the third birthday)",
        ),
        "application_overlap": (
            "此孩子已有 {other} 的申领（{day}）：每个月份只能申领一次",
            "the child has an application for {other} already ({day}): months are applied for once",
        ),
        "adoption_other_day": (
            "此收养已登记，收养日期为 {adopted}",
            "this adoption is recorded already, adopted on {adopted}",
        ),
    }
)
