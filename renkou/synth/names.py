"""Names (姓名): surnames by real frequency, given names of one or two characters by sex and era.

Character lists follow the fashions of each era: 建国/秀英 for people born before 1970,
伟/静 for 1970-1999, 宇轩/梓涵 for those born since 2000 (the MPS 2020 name report's top
newborn names, 奕辰 and 一诺, can both come out).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from renkou.synth import reference

# (first character choices, second character choices) by (sex, era); sex 0 = female.
_GIVEN = {
    (1, 0): ("国建德志永金福根明文长正春学海荣洪新炳忠",
             "华明林生平荣祥兴发根富才良民强龙忠清山水财贵法成"),
    (1, 1): ("建志俊晓伟海振家小文国立永宏金剑旭鹏泽亚",
             "伟强磊军勇杰涛斌超明刚辉鹏华飞波峰亮健俊凯浩宇龙鑫锋东林平挺"),
    (1, 2): ("子宇浩梓一俊奕亦沐佳嘉思天博皓睿泽若铭晨景承煜锦书",
             "轩辰宇涵泽睿阳航豪然宸熙墨哲恒瑞凯锐川言诚杰博琪晨"),
    (0, 0): ("秀玉桂美金月彩素爱凤春菊丽根银", "英兰芳珍凤梅华娥花云琴莲娟仙妹萍香"),
    (0, 1): ("丽晓静雅海佳婷春慧小燕玉文红美雪", "娟敏静燕艳霞玲婷雪慧芳颖琳洁倩晶丹萍蕾佳莉红"),
    (0, 2): ("梓子一依欣雨语可梦诗思若佳嘉紫心芷沐安", "涵萱怡诺桐汐妍瑶琪悦欣彤晴馨雅然宁希琳"),
}  # fmt: skip
_SINGLE_SHARE = (0.20, 0.35, 0.12)  # share of one-character given names by era
# Surnames of 畲族 families (蓝, 雷, 钟 dominate) and a bias to 马 among 回族.
_SHE_SURNAMES = (("蓝", 0.45), ("雷", 0.35), ("钟", 0.15), ("李", 0.05))
_HUI_MA_SHARE = 0.3


def surname_vocabulary() -> list[str]:
    """All surnames that can be drawn: the frequency table plus the 畲族 ones not in it."""
    names = list(reference.surnames().names)
    for s, _ in _SHE_SURNAMES:
        if s not in names:
            names.append(s)
    return names


def draw_surnames(rng: np.random.Generator, ethnicity: np.ndarray) -> np.ndarray:
    """Surname indices into ``surname_vocabulary()`` for founders of the given ethnicities."""
    table = reference.surnames()
    vocab = surname_vocabulary()
    out = rng.choice(len(table.p), size=len(ethnicity), p=table.p).astype(np.int16)
    she = np.flatnonzero(ethnicity == "22")
    if len(she):
        idx = [vocab.index(s) for s, _ in _SHE_SURNAMES]
        p = np.array([w for _, w in _SHE_SURNAMES])
        out[she] = rng.choice(idx, size=len(she), p=p)
    hui = np.flatnonzero(ethnicity == "03")
    if len(hui):
        ma = rng.random(len(hui)) < _HUI_MA_SHARE
        out[hui[ma]] = vocab.index("马")
    return out


def full_names(
    rng: np.random.Generator, surname: np.ndarray, sex: np.ndarray, birth_year: np.ndarray
) -> pa.Array:
    """Full names (surname + given name) as an Arrow string array."""
    n = len(surname)
    era = np.where(birth_year < 1970, 0, np.where(birth_year < 2000, 1, 2))
    chars: list[str] = [""]
    index: dict[str, int] = {"": 0}
    first = np.zeros(n, dtype=np.int32)
    second = np.zeros(n, dtype=np.int32)
    for (s, e), (firsts, seconds) in _GIVEN.items():
        rows = np.flatnonzero((sex == s) & (era == e))
        if not len(rows):
            continue
        for c in firsts + seconds:
            if c not in index:
                index[c] = len(chars)
                chars.append(c)
        f_codes = np.array([index[c] for c in firsts])
        s_codes = np.array([index[c] for c in seconds])
        # earlier characters in each list are the commoner ones
        f_pick = (len(firsts) * rng.random(len(rows)) ** 1.4).astype(int)
        s_pick = (len(seconds) * rng.random(len(rows)) ** 1.4).astype(int)
        single = rng.random(len(rows)) < _SINGLE_SHARE[e]
        first[rows] = np.where(single, 0, f_codes[f_pick])
        second[rows] = s_codes[s_pick]
    char_arr = pa.array(chars)
    surnames = pa.array(surname_vocabulary()).take(pa.array(surname))
    return pc.binary_join_element_wise(
        surnames, char_arr.take(pa.array(first)), char_arr.take(pa.array(second)), ""
    )
