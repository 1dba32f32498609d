"""Fixtures of the settings tests: they read settings modules with a patched
environment and need no database or caller."""
