"""Search keys for Chinese names: toneless pinyin and initials (张伟 → ``zhangwei``, ``zw``).

Readings are looked up per character and cached: a county's names use a few thousand
characters, so a million names take about a second. A character with several readings
takes its common one, except the first character, which is read as a surname where that
differs (曾 zeng, 单 shan, 解 xie …).
"""

from __future__ import annotations

import functools
import re

from pypinyin import Style, lazy_pinyin

# Surnames whose reading differs from the character's most common reading.
SURNAME_READINGS = {
    "曾": "zeng",
    "单": "shan",
    "解": "xie",
    "仇": "qiu",
    "区": "ou",
    "朴": "piao",
    "查": "zha",
    "盖": "ge",
    "覃": "qin",
    "乐": "yue",
    "员": "yun",
    "缪": "miao",
    "秘": "bi",
    "种": "chong",
    "召": "shao",
    "翟": "zhai",
    "过": "guo",
    "都": "du",
    "长": "chang",
    "尉": "yu",
    "万": "wan",
    "折": "she",
    "宿": "su",
    "句": "gou",
    "郇": "huan",
    "燕": "yan",
    "任": "ren",
    "纪": "ji",
    "黑": "he",
    "繁": "po",
    "眭": "sui",
    "華": "hua",
    "华": "hua",
    "沈": "shen",
    "重": "chong",
}
_NOT_LETTERS = re.compile(r"[^a-z]")


@functools.lru_cache(maxsize=20_000)
def _reading(char: str) -> str:
    reading = lazy_pinyin(char, style=Style.NORMAL, errors="ignore")
    return _NOT_LETTERS.sub("", "".join(reading).lower().replace("ü", "v"))


def name_search_keys(name: str) -> tuple[str, str]:
    """(toneless pinyin without spaces, initials) of a name; ASCII letters kept as they are."""
    syllables = []
    for index, char in enumerate(name.strip()):
        if index == 0 and char in SURNAME_READINGS:
            syllables.append(SURNAME_READINGS[char])
        elif char.isascii():
            if char.isalpha():
                syllables.append(char.lower())
        else:
            reading = _reading(char)
            if reading:
                syllables.append(reading)
    return "".join(syllables)[:120], "".join(s[0] for s in syllables)[:20]


def pinyin_query(text: str) -> str:
    """A typed pinyin query in the stored form: lower case, no spaces, tones and ü removed."""
    return _NOT_LETTERS.sub("", text.lower().replace("ü", "v").replace("u:", "v"))
