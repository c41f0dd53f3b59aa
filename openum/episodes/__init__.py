"""Admissions and concurrent review, discharge planning, retrospective review, referrals,
out-of-network exceptions and continuity of care, and claims meeting authorizations."""
