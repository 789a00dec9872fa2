"""Reusable widgets: the page guard, filters bound to query parameters, tables with CSV download."""
