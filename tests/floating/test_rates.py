"""The rates and stocks of the floating population, on figures worked out by hand."""

from __future__ import annotations

import datetime

from renkou.floating.rates import Ratio, floating_stock, notice_rate, reply_rates

D = datetime.date


def test_notice_rate_counts_notices_sent_within_the_days_allowed() -> None:
    arrivals = [
        (D(2025, 3, 1), D(2025, 3, 8), 7),  # the 7th day after: in time
        (D(2025, 3, 1), D(2025, 3, 9), 7),  # the 8th: late
        (D(2025, 3, 31), D(2025, 3, 31), 7),  # the same day
        (D(2025, 4, 2), None, 7),  # never notified
        (D(2025, 4, 2), D(2025, 4, 20), 30),  # another office allows 30 days
    ]
    # in time: rows 1, 3 and 5 of 5
    in_time = sum(1 for a, n, d in arrivals if n is not None and (n - a).days <= d)
    assert in_time == 3
    rate = notice_rate(arrivals)
    assert (rate.numerator, rate.denominator) == (3, 5)
    assert rate.percent == 60.0


def test_reply_rates_answered_and_on_time_of_received() -> None:
    requests = [
        (D(2025, 5, 10), D(2025, 5, 15)),  # answered before the due day
        (D(2025, 5, 15), D(2025, 5, 15)),  # on the due day: on time
        (D(2025, 5, 16), D(2025, 5, 15)),  # a day late: answered, not on time
        (None, D(2025, 5, 15)),  # not answered
    ]
    answered, on_time = reply_rates(requests)
    assert (answered.numerator, answered.denominator) == (3, 4)  # 协查反馈率 75 %
    assert (on_time.numerator, on_time.denominator) == (2, 4)  # 反馈及时率 50 %
    assert answered.percent == 75.0 and on_time.percent == 50.0


def test_no_requests_is_no_rate_not_zero() -> None:
    answered, on_time = reply_rates([])
    assert answered == Ratio(0, 0) and answered.percent is None and on_time.percent is None
    assert notice_rate([]).percent is None


def test_floating_stock_by_origin_and_destination() -> None:
    township = "330122100"
    a1, a2, b1 = "330122100201", "330122100202", "330122101201"
    places = [
        ("430521", a1),  # 湖南邵东 → lives in A1: in
        ("430521", a2),  # the same county: in
        ("430102", a1),  # 湖南长沙芙蓉区: in, same province, another county
        ("110105", a1),  # 北京朝阳: in
        (b1, a1),  # registered in township B of our county: in (from our own county)
        (a2, a1),  # registered in A2, living in A1: inside the township, not floating
        (a1, "440305"),  # registered in A1, lives in 深圳南山: out
        (a1, b1),  # registered in A1, lives in township B: out
        (a1, None),  # no residence known: counted nowhere
        ("430521", "440305"),  # neither end here
    ]
    stock = floating_stock(places, township)
    assert stock.inflow == 5 and stock.outflow == 2
    assert dict(stock.inflow_by_province) == {"430000": 3, "110000": 1, "330000": 1}
    assert dict(stock.inflow_by_county) == {"430521": 2, "430102": 1, "110105": 1, "330122": 1}
    assert dict(stock.outflow_by_county) == {"440305": 1, "330122": 1}
    assert dict(stock.outflow_by_province) == {"440000": 1, "330000": 1}
    # for village A1 alone, the person registered in A2 floats in too
    village = floating_stock(places, a1)
    assert village.inflow == 5 and village.inflow_by_county["330122"] == 2
    assert village.outflow == 2
