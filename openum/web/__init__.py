"""The HTTP edge: app factory, dependencies, and error translation."""
