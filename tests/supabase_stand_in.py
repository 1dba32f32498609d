"""A stand-in for Supabase's ``auth`` schema, for PostgreSQL tests.

Django's test database has no ``auth`` schema; these statements create one that
behaves as Supabase's does for row-level security: ``auth.users``, and
``auth.uid()`` / ``auth.role()`` reading the JWT claims PostgREST sets per request
(``request.jwt.claims``; definitions as in the supabase/auth migrations).
"""

STAND_IN_AUTH = [
    "CREATE SCHEMA auth",
    "CREATE TABLE auth.users (id uuid PRIMARY KEY, email text)",
    """
    CREATE FUNCTION auth.uid() RETURNS uuid LANGUAGE sql STABLE AS $$
      SELECT coalesce(
        nullif(current_setting('request.jwt.claim.sub', true), ''),
        (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub')
      )::uuid
    $$
    """,
    """
    CREATE FUNCTION auth.role() RETURNS text LANGUAGE sql STABLE AS $$
      SELECT coalesce(
        nullif(current_setting('request.jwt.claim.role', true), ''),
        (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role')
      )::text
    $$
    """,
]
