"""The valid-request rules: what a request must carry before it can be decided."""
