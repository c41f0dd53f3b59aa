"""Intake: every channel's requests enter here and get an authorization ID on receipt."""
