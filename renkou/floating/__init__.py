"""Floating population (流动人口): arrivals from outside, and messages between areas (流入通报,
协查请求, 反馈)."""
