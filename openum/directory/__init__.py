"""Members, eligibility, providers, facilities and provider organizations."""
