"""Reconsiderations, appeals and the reviews beyond the plan (State Fair Hearing, IMR, IRE)."""
