"""Search keys for Chinese names: toneless pinyin and initials (张伟 → ``zhangwei``, ``zw``).

Readings are looked up per character and cached: a county's names use a few thousand
characters, so a million names take about a second. A character with several readings
takes its common one, except the first character, which is read as a surname where that
differs (曾 zeng, 单 shan, 解 xie …).
"""

from __future__ import annotations

import functools
import re
import unicodedata

# 复姓: two-character surnames, recognised whole (欧阳娜娜 is 欧阳 + 娜娜, not 欧 + 阳娜娜).
COMPOUND_SURNAMES = frozenset(
    {"欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙"}
    | {"令狐", "夏侯", "宇文", "司徒", "端木", "轩辕", "西门", "南宫", "独孤", "呼延"}
    | {"闻人", "万俟", "澹台", "公冶", "宗政", "濮阳", "淳于", "单于", "太叔", "申屠"}
    | {"仲孙", "钟离", "宰父", "谷梁", "拓跋", "百里", "东郭", "南门", "羊舌", "微生"}
    | {"梁丘", "左丘", "东门", "第五", "公羊", "赫连", "亓官", "司空", "司寇", "巫马"}
    | {"公西", "颛孙", "壤驷", "乐正", "漆雕", "段干", "鲜于", "闾丘", "子车", "公良"}
)
# Spaces (also the full-width one) and the dots that separate parts of a name
# (阿依古丽·买买提 typed with ·, •, ・, ‧, ∙, ⋅ or a full stop).
_SEPARATORS = re.compile(r"[\s\u00b7\u2022\u30fb\uff65\u2027\u2219\u22c5.。．]+")


@functools.lru_cache(maxsize=1)
def _t2s() -> object:
    import opencc  # OpenCC's maintained traditional → simplified table

    return opencc.OpenCC("t2s")


# Characters the table would change that the standard character list (通用规范汉字表) also
# keeps as they are in names: 乾 qián (乾坤, not 干), the surname 於 (not 于).
KEPT_AS_WRITTEN = frozenset("乾於")


@functools.lru_cache(maxsize=50_000)
def _simplified(char: str) -> str:
    if char in KEPT_AS_WRITTEN:
        return char
    return str(_t2s().convert(char)) or char  # type: ignore[attr-defined]


@functools.lru_cache(maxsize=200_000)
def normalise_name(name: str) -> str:
    """A name in the one form every comparison uses: full-width letters and digits folded to
    ASCII (NFKC), spaces and middle dots removed, traditional characters simplified (OpenCC's
    t2s table, character by character: 陳小明 → 陈小明, ``上 官海祥`` → 上官海祥)."""
    text = _SEPARATORS.sub("", unicodedata.normalize("NFKC", name or ""))
    if text.isascii():
        return text
    return "".join(c if c.isascii() else _simplified(c) for c in text)


def split_name(name: str) -> tuple[str, str]:
    """(surname, given name) of a normalised name; a compound surname is taken whole."""
    name = normalise_name(name)
    if name[:2] in COMPOUND_SURNAMES:
        return name[:2], name[2:]
    return name[:1], name[1:]


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
    # pypinyin's phrase dictionary takes about half a second to load: at the first name
    # read, not in every process that starts (a web worker, a command, the task worker)
    from pypinyin import Style, lazy_pinyin

    reading = lazy_pinyin(char, style=Style.NORMAL, errors="ignore")
    return _NOT_LETTERS.sub("", "".join(reading).lower().replace("ü", "v"))


def name_search_keys(name: str) -> tuple[str, str]:
    """(toneless pinyin without spaces, initials) of a name, read in its normalised form
    (``normalise_name``); ASCII letters kept as they are."""
    syllables = []
    for index, char in enumerate(normalise_name(name)):
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
