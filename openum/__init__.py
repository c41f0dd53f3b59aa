"""OpenUM: utilization management for health plans."""

__version__ = "0.1.0"
