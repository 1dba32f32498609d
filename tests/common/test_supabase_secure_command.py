"""supabase_secure refuses a database that is not Supabase (both databases)."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.django_db


def test_supabase_secure_fails_without_supabase_auth():
    with pytest.raises(CommandError, match="not a Supabase database"):
        call_command("supabase_secure", stdout=StringIO())
