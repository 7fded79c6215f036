"""Reads finished runs back from ML Metadata and their artifacts, and presents them (summary,
report, inspect). Nothing here runs a component."""
