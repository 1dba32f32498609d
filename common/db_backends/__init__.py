"""Database backends: Django's own, with the changes documented in each module."""
