"""Reasons a roster row or file is refused, added to the shared zh/en problem catalogue."""

from __future__ import annotations

from renkou.core.problems import MESSAGES

MESSAGES.update(
    {
        "id_as_number": (
            "身份证号 {value} 被存成了数字，末几位已丢失；请把该列设为文本后重新导出",
            "identity number {value} was stored as a number and lost its last digits; "
            "format the column as text and export again",
        ),
        "bad_sex": ("性别 {value} 无法识别（应为 男/女）", "sex {value} is not recognised (男/女)"),
        "header_not_found": (
            "在前 30 行中找不到表头行；要找的表头有：{value}",
            "no header row found in the first 30 rows; the headers looked for are: {value}",
        ),
        "roster_column_missing": (
            "缺少必需的列：找不到表头 {value}（任一即可）",
            "a required column is missing: none of the headers {value} was found",
        ),
        "roster_bad_date": (
            "日期 {value} 无法识别；可用的格式：{formats}",
            "date {value} is not recognised; the accepted formats are: {formats}",
        ),
        "roster_bad_month": (
            "月份 {value} 无法识别；可用的格式：{formats}",
            "month {value} is not recognised; the accepted formats are: {formats}",
        ),
        "id_dashes": (
            "身份证号 {value} 中含有短横线或空格；请只填 18 位数字",
            "identity number {value} contains dashes or spaces; write its 18 digits alone",
        ),
        "mapping_unsure": (
            "列的对应关系不确定（{value}）；请用 --columns 指定，例如 "
            "--columns 'mother_id=母亲证件号'，或先用 --dry-run 查看",
            "the column mapping is unsure ({value}); give it with --columns, e.g. "
            "--columns 'mother_id=母亲证件号', or look at it first with --dry-run",
        ),
        "columns_option": (
            "--columns 中的 {value} 无法使用：应为 列名=表头，列名为 {allowed}",
            "{value} in --columns cannot be used: write column=header, the columns being {allowed}",
        ),
        "workbook_protected": (
            "工作簿有密码保护，请去掉密码后再导入",
            "the workbook is password-protected; remove the password and import again",
        ),
        "id_sex_mismatch": (
            "性别与身份证号不符",
            "sex does not agree with the identity number",
        ),
        "id_birth_mismatch": (
            "出生日期与身份证号不符",
            "birth date does not agree with the identity number",
        ),
        "unknown_kind": ("未知的名册类型 {value}", "unknown roster kind {value}"),
        "worklist_correct_refused": (
            "不能按名册更正人口库的{field_zh}（名册：{roster}；人口库：{register}）：{reason_zh}",
            "cannot correct {field_en} in the register to the roster's value (roster: {roster}; "
            "register: {register}): {reason_en}",
        ),
    }
)
