"""The browser UI: the UM workbench for plan staff and the provider portal (Jinja2 pages with htmx)."""

from openum.ui.router import install

__all__ = ["install"]
