"""Fixtures of the shared-surface tests (health, errors, schema, Supabase hardening).

The callers come from ``tests/conftest.py``; nothing app-specific is needed here.
"""
