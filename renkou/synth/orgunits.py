"""The county's administrative tree: 浙江省 › 杭州市 › 桐庐县 › ~15 townships › villages.

Province, prefecture and county are real (their codes make valid identity numbers); township
and village names are invented from plausible characters. Codes follow the NBS rules for
statistical division codes: townships 001-099 are 街道, 100-199 镇, 200-399 乡; villages
001-199 are 社区 (residents' committees), 200-399 村 (villagers' committees).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

PROVINCE = ("33", "浙江省")
PREFECTURE = ("3301", "杭州市")
COUNTY = ("330122", "桐庐县")
VALID_FROM = "1990-01-01"
# A few villages were merged into neighbours (村庄合并, common in Zhejiang around 2019);
# they stay in the tree with a valid_to date and hold nobody now.
MERGED_VALID_TO = "2019-12-31"

_TOWN_FIRST = "凤横瑶百钟春洋石溪柳梅松青龙云桃金双高平兴和丰华岩莘印芦荻芝麻歌舒茆"
_TOWN_SECOND = "川林山溪江源岭桥坞阳浦湖塘亭堰田洲岗安丰平"
_VILLAGE_FIRST = "上下前后东西南北大小新老黄俞章方叶何王李周吴施钱毛金石桐竹梅松柏杨柳青白龙凤马鹤"
_VILLAGE_SECOND = "家坞溪岭桥口头塘坑山湾里庄源田岙垄埠畈墩店坪园岸"
_COMMUNITY_FIRST = "城迎春新学文健金桐白云滨江阳光明华富安康"
_COMMUNITY_SECOND = "东西南北春江苑园景华锦安康星阳桥"


@dataclass(frozen=True)
class OrgTree:
    """The tree as load-file rows, plus per-village arrays the population is spread over."""

    rows: list[tuple[str, str, str, str, str]]  # code, name, parent_code, valid_from, valid_to
    village_codes: list[str]  # living villages only, in code order
    village_names: list[str]  # township name + village name, for addresses
    community: np.ndarray  # bool: 社区 (urban) rather than 村
    she_township: np.ndarray  # bool: in the 畲族 township
    weight_local: np.ndarray  # relative number of registered residents
    weight_inflow: np.ndarray  # relative number of migrants living there


def _name(rng: np.random.Generator, first: str, second: str, taken: set[str]) -> str:
    """An unused two-character name."""
    while True:
        name = first[rng.integers(len(first))] + second[rng.integers(len(second))]
        if name not in taken and name[0] != name[1]:
            taken.add(name)
            return name


def build(rng: np.random.Generator) -> OrgTree:
    """Build the tree deterministically from ``rng``."""
    rows = [
        (PROVINCE[0], PROVINCE[1], "", VALID_FROM, ""),
        (PREFECTURE[0], PREFECTURE[1], PROVINCE[0], VALID_FROM, ""),
        (COUNTY[0], COUNTY[1], PREFECTURE[0], VALID_FROM, ""),
    ]
    # 3 街道 around the county seat, 7 镇, 5 乡 of which one is the 畲族 township
    kinds = ["street"] * 3 + ["town"] * 7 + ["township"] * 5
    she_index = 10 + int(rng.integers(5))
    taken_towns: set[str] = set()
    taken_villages: set[str] = set()
    codes, names, community, she, w_local, w_inflow = [], [], [], [], [], []
    counters = {"street": 0, "town": 100, "township": 200}
    merged_left = 3
    for t, kind in enumerate(kinds):
        counters[kind] += 1
        tcode = COUNTY[0] + f"{counters[kind]:03d}"
        base = _name(rng, _TOWN_FIRST, _TOWN_SECOND, taken_towns)
        suffix = {"street": "街道", "town": "镇", "township": "乡"}[kind]
        tname = base + ("畲族乡" if t == she_index else suffix)
        rows.append((tcode, tname, COUNTY[0], VALID_FROM, ""))
        n_villages = int(rng.integers(10, 26))
        n_comm = {
            "street": int(rng.integers(6, 11)),
            "town": int(rng.integers(1, 4)),
            "township": int(rng.integers(0, 2)),
        }[kind]
        n_comm = min(n_comm, n_villages)
        size = {"street": 1.3, "town": 1.0, "township": 0.6}[kind]
        pull = {"street": 2.0, "town": 1.2, "township": 0.4}[kind]
        for v in range(n_villages):
            is_comm = v < n_comm
            if is_comm:
                vname = _name(rng, _COMMUNITY_FIRST, _COMMUNITY_SECOND, taken_villages) + "社区"
                vcode = tcode + f"{v + 1:03d}"
            else:
                vname = _name(rng, _VILLAGE_FIRST, _VILLAGE_SECOND, taken_villages) + "村"
                vcode = tcode + f"{200 + v - n_comm + 1:03d}"
            merged = not is_comm and merged_left > 0 and kind != "street" and rng.random() < 0.04
            rows.append((vcode, vname, tcode, VALID_FROM, MERGED_VALID_TO if merged else ""))
            if merged:
                merged_left -= 1
                continue
            codes.append(vcode)
            names.append(tname + vname)
            community.append(is_comm)
            she.append(t == she_index)
            w = float(rng.lognormal(0.0, 0.45)) * size * (1.6 if is_comm else 1.0)
            w_local.append(w)
            w_inflow.append(w * pull * (3.0 if is_comm else 1.0))
    return OrgTree(
        rows=rows,
        village_codes=codes,
        village_names=names,
        community=np.array(community),
        she_township=np.array(she),
        weight_local=np.array(w_local) / sum(w_local),
        weight_inflow=np.array(w_inflow) / sum(w_inflow),
    )
