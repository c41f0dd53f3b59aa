"""Authentication, roles and what each role may reach."""
