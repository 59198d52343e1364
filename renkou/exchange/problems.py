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
            "找不到表头行，必需的列缺失：{value}",
            "no header row found; required columns missing: {value}",
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
