"""Timeliness: business calendars, clock rules and due times."""
