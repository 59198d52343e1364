"""Problems found in input, named by file, row and column, with a reason in zh and en."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from renkou.core.cells import CsvWriter
from renkou.core.files import file_write
from renkou.core.idnumber import mask

# code -> (Chinese template, English template); templates may use {value} and params.
MESSAGES: dict[str, tuple[str, str]] = {
    "file_empty": ("文件为空", "the file is empty"),
    "file_no_rows": ("文件只有表头，没有数据行", "the file has a header but no data rows"),
    "file_encoding": (
        "无法识别文件编码（应为 UTF-8 或 GBK）",
        "the file's encoding is not recognised (expected UTF-8 or GBK)",
    ),
    "file_type": ("不支持的文件类型 {value}", "unsupported file type {value}"),
    "file_unreadable": ("文件无法读取：{value}", "the file cannot be read: {value}"),
    "file_missing": ("缺少必需的文件 {value}", "required file {value} is missing"),
    "column_unknown": ("未知的列 {value}", "unknown column {value}"),
    "column_missing": ("缺少必需的列 {value}", "required column {value} is missing"),
    "column_duplicate": ("列 {value} 出现了两次", "column {value} appears twice"),
    "required": ("必填项为空", "a required value is empty"),
    "bad_date": (
        "日期 {value} 无效（应为 YYYY-MM-DD）",
        "date {value} is invalid (expected YYYY-MM-DD)",
    ),
    "future_date": ("日期 {value} 晚于今天", "date {value} is in the future"),
    "too_old_date": ("日期 {value} 早于 1850 年", "date {value} is before 1850"),
    "bad_choice": (
        "值 {value} 不在允许范围内：{allowed}",
        "value {value} is not one of: {allowed}",
    ),
    "bad_code": ("区划代码 {value} 格式错误", "org-unit code {value} is malformed"),
    "unknown_orgunit": ("区划代码 {value} 不存在", "org unit {value} does not exist"),
    "not_leaf": ("{value} 不是村（居）一级", "{value} is not a village-level unit"),
    "unknown_region": ("地区代码 {value} 未知", "region code {value} is unknown"),
    "bad_parent": (
        "上级代码 {value} 与本级代码不符或不存在",
        "parent code {value} does not fit the code or does not exist",
    ),
    "duplicate_key": ("{value} 在文件中重复", "{value} appears more than once in the file"),
    "unknown_ref": ("引用 {value} 不存在", "reference {value} does not exist"),
    "conflict": (
        "{value} 已导入且内容不同，请用更正变动修改",
        "{value} was already loaded with different values; use a correction instead",
    ),
    "id_invalid": ("身份证号无效：{reason_zh}", "identity number invalid: {reason_en}"),
    "duplicate_id": (
        "身份证号 {value} 与第 {other} 行相同",
        "identity number {value} is the same as on row {other}",
    ),
    "outside_area": (
        "户籍地和居住地都不在本辖区：{value}",
        "neither the registered place nor the residence is in this area: {value}",
    ),
    "id_mismatch": ("身份证号与{field_zh}不符", "identity number does not agree with {field_en}"),
    "death_before_birth": (
        "死亡日期 {value} 早于出生日期",
        "death date {value} is before the birth date",
    ),
    "death_missing": ("状态为死亡但缺少死亡日期", "status is dead but the death date is missing"),
    "bad_number": ("{value} 不是正整数", "{value} is not a positive whole number"),
    "event_before_birth": (
        "事件日期 {value} 早于出生日期",
        "event date {value} is before the birth date",
    ),
    "event_after_death": (
        "事件日期 {value} 晚于死亡日期",
        "event date {value} is after the death date",
    ),
    "stale": (
        "该人员信息在您打开表单后已被修改，请重新打开后再提交",
        "this person was changed after you opened the form; reopen it and submit again",
    ),
    "bad_status": ("当前状态 {value} 不允许此操作", "this is not allowed in status {value}"),
    "bad_field": ("不能更正的字段 {value}", "field {value} cannot be corrected"),
    "person_dead": ("该人员已于 {value} 死亡", "this person died on {value}"),
    "wrong_kind": ("此类变动需要 {value}", "this kind of change needs {value}"),
    "report_before_event": (
        "报告日期 {value} 早于事件日期",
        "report date {value} is before the event date",
    ),
    "parent_outside_area": (
        "第 {value} 号人员不在您可上报的辖区内，不能登记为新生儿的{role_zh}；"
        "请由其所在地上报，或不填{role_zh}后再提交",
        "person {value} is not in the area you report for and cannot be named as the"
        " child's {role_en}; have their own area report it, or leave the {role_en} out",
    ),
    "resubmitted": (
        "该上报已重新提交过（第 {value} 号），请在最新的版本上修改",
        "this report was already resubmitted (no. {value}); correct the latest version",
    ),
}


@dataclass(frozen=True)
class Problem:
    """One problem: where it is (file, row as a spreadsheet counts it, column) and why."""

    file: str
    row: int  # 1 is the header line; 0 means the whole file
    column: str
    value: str
    code: str
    message_zh: str
    message_en: str
    severity: str = "error"

    def __str__(self) -> str:
        where = f"{self.file}"
        if self.row:
            where += f", row {self.row}"
        if self.column:
            where += f", column {self.column}"
        return f"{where}: {self.message_zh} / {self.message_en}"


# A value that is (or was meant to be) an identity number: 14 or more digits, with the
# separators and Excel's exponent form it arrives in. Shown masked wherever a problem goes
# (pages, problems files, the command line), as identity numbers are everywhere else.
_ID_LIKE = re.compile(r"^[0-9xX\s\-–—_./+E]{14,32}$")


def shown_value(text: str) -> str:
    """``text`` as a problem may show it: an identity number (even a mistyped, dashed or
    Excel-cut one: 14 digits or more) masked, anything else as it is."""
    if _ID_LIKE.match(text) and sum(c.isdigit() for c in text) >= 14:
        return mask(re.sub(r"[^0-9xX]", "", text))
    return text


def problem(
    code: str,
    *,
    file: str,
    row: int = 0,
    column: str = "",
    value: object = "",
    severity: str = "error",
    **params: str,
) -> Problem:
    """Build a problem from the message catalogue."""
    zh, en = MESSAGES[code]
    text = "" if value is None else shown_value(str(value))
    return Problem(
        file=file,
        row=row,
        column=column,
        value=text,
        code=code,
        message_zh=zh.format(value=text, **params),
        message_en=en.format(value=text, **params),
        severity=severity,
    )


class InputRefused(Exception):
    """A whole input is refused; nothing of it was written."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


PROBLEM_COLUMNS = ["file", "row", "column", "value", "severity", "code", "reason_zh", "reason_en"]


def write_problems(path: Path, problems: Iterable[Problem]) -> int:
    """Write problems as a UTF-8 (with BOM, for Excel) CSV; return how many."""

    def write(target: Path) -> int:
        n = 0
        with target.open("w", encoding="utf-8-sig", newline="") as fh:
            writer = CsvWriter(fh)  # a value such as =1+1 is written '=1+1
            writer.writerow(PROBLEM_COLUMNS)
            for p in problems:
                writer.writerow(
                    [
                        p.file,
                        p.row,
                        p.column,
                        p.value,
                        p.severity,
                        p.code,
                        p.message_zh,
                        p.message_en,
                    ]
                )
                n += 1
        return n

    return int(file_write(path, write).result)
