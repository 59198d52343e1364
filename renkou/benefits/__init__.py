"""Family benefit programmes (家庭发展): dated parameters, eligibility, cycles, payments."""
