"""The PHI audit trail: who read or wrote what, when, from where and why."""
