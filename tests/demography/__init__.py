"""Tests of renkou.demography, the pure statistics library."""
