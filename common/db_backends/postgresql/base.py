"""PostgreSQL: Django's backend with a health check that spares connections in steady use.

With ``CONN_HEALTH_CHECKS`` Django runs ``SELECT 1`` on a reused connection
before the first query of every request: a full round trip to the database,
as long as a restore's own statement. Here a connection that was checked or
used within the last ``HEALTH_CHECK_IDLE_SECONDS`` (a key of the database
settings; ``DATABASE_HEALTH_CHECK_IDLE_SECONDS``, default 1 s) is not checked
again: the queries of the request before proved it, and a query that fails
marks the connection (Django's ``errors_occurred``), which Django then tests
and closes at the end of that request. A connection idle for longer (a quiet
worker, a pooler or server that may have dropped it) is checked as before, so
a database restart between two quiet requests still costs no request. 0
checks on every request, as Django does.

``prepared_cursor()``: a cursor whose statements PostgreSQL parses and plans
once per connection (see ``PreparingCursor``), for the hot statements that are
long to parse; on a transaction pooler it is a client-side cursor that still keeps
their placeholder conversion.
"""

import functools
import time
from typing import Any

import psycopg
from django.db.backends.postgresql import base, operations
from django.db.backends.postgresql.psycopg_any import register_tzloader
from django.db.backends.utils import CursorWrapper
from psycopg import _queries, errors
from psycopg.pq import Format

# psycopg's conversion of a statement's ``%s`` placeholders (to PostgreSQL's ``$n``
# for server-side binding, to a template for client-side), cached whatever the
# statement's length: psycopg caches it only for statements up to 4 KB and 50
# parameters (``psycopg._queries.MAX_CACHED_STATEMENT_LENGTH``), against ORM
# statements whose text varies; the cursors below run fixed statements, and the
# logged interaction's (10 KB) paid about 0.1 ms a call for its conversion. Bounded:
# a few kinds of fixed statements per model.
_server_conversion = functools.lru_cache(maxsize=256)(_queries._query2pg_nocache)
_client_conversion = functools.lru_cache(maxsize=256)(_queries._query2pg_client_nocache)


class _FixedStatementQuery(_queries.PostgresQuery):
    """psycopg's ``PostgresQuery`` (server-side binding) with the placeholder
    conversion always cached; the values' dumping is psycopg's."""

    __slots__ = ()

    def convert(self, query: Any, vars: Any) -> None:
        """Convert ``query`` (``str``) and dump ``vars``, as psycopg does."""
        if vars is None or not isinstance(query, str):
            return super().convert(query, vars)
        encoding = self._tx.encoding
        self.query, self._want_formats, self._order, self._parts = _server_conversion(
            query.encode(encoding), encoding
        )
        self.dump(vars)
        return None


class _FixedStatementClientQuery(_queries.PostgresClientQuery):
    """psycopg's ``PostgresClientQuery`` (client-side binding, Django's default)
    with the placeholder conversion always cached; the values' quoting is
    psycopg's."""

    __slots__ = ()

    def convert(self, query: Any, vars: Any) -> None:
        """Convert ``query`` (``str``) and quote ``vars`` into it, as psycopg does."""
        if vars is None or not isinstance(query, str):
            return super().convert(query, vars)
        encoding = self._tx.encoding
        self.template, self._order, self._parts = _client_conversion(
            query.encode(encoding), encoding
        )
        self.dump(vars)
        return None


class FixedStatementClientCursor(psycopg.ClientCursor[Any]):
    """psycopg's ``ClientCursor`` (client-side binding, as Django's cursors) for fixed
    statements: their placeholder conversion is kept whatever their length. What
    ``prepared_cursor`` gives where prepared statements are not allowed."""

    _query_cls = _FixedStatementClientQuery


class PreparingCursor(psycopg.Cursor[Any]):
    """A psycopg cursor that binds its parameters on the server and prepares every
    statement it runs (``execute(…, prepare=True)``): the first execution on a
    connection sends ``Parse`` once, later ones only ``Bind``/``Execute`` with the
    values (PostgreSQL docs, "Extended Query" protocol; psycopg docs, "Prepared
    statements"). For a statement of several kilobytes, parsing, analysing and
    planning cost more of the server's CPU than running it.

    Prepared statements belong to one server connection: never use this cursor
    through a transaction pooler that hands out server connections per
    transaction (``DatabaseWrapper.prepared_cursor`` does not).

    Only for fixed statements (the same text on every call, values as parameters):
    their conversion to PostgreSQL's placeholders is kept whatever their length,
    as ``FixedStatementClientCursor`` does.
    """

    _query_cls = _FixedStatementQuery

    def execute(self, query: Any, params: Any = None, **kwargs: Any) -> Any:
        """psycopg's ``Cursor.execute`` with ``prepare=True`` unless told otherwise."""
        kwargs.setdefault("prepare", True)
        return super().execute(query, params, **kwargs)


class DatabaseOperations(operations.DatabaseOperations):
    """Django's, with the text of a statement run by a ``PreparingCursor``."""

    def last_executed_query(self, cursor: Any, sql: str, params: Any) -> str:
        """The statement with its values, for query logging (``DEBUG``, the test
        suite's captured queries). A prepared execution leaves psycopg's client-side
        query text unset, so compose it as Django does for server-side binding (the
        statement as written when a value cannot be composed)."""
        if isinstance(cursor, PreparingCursor):
            try:
                return str(self.compose_sql(sql, params))
            except errors.DataError:
                return sql
        return super().last_executed_query(cursor, sql, params)


class DatabaseWrapper(base.DatabaseWrapper):
    """Django's PostgreSQL ``DatabaseWrapper``; see the module docstring."""

    ops_class = DatabaseOperations

    _health_checked_at = float("-inf")
    health_check_done: bool

    def close_if_health_check_failed(self) -> None:
        """Django's health check, skipped for a connection used moments ago."""
        enabled = self.settings_dict["CONN_HEALTH_CHECKS"]
        if self.connection is not None and enabled and not self.health_check_done:
            now = time.monotonic()
            idle = self.settings_dict.get("HEALTH_CHECK_IDLE_SECONDS", 0)
            if now - self._health_checked_at < idle:
                self.health_check_done = True
            self._health_checked_at = now
        super().close_if_health_check_failed()

    def connect(self) -> None:
        """Open a connection (a new one needs no check before its first query)."""
        super().connect()
        self._health_checked_at = time.monotonic()

    def prepared_cursor(self) -> CursorWrapper:
        """A cursor for fixed SQL (Django's wrapper, so query logging and
        ``execute_wrapper`` see it): over a ``PreparingCursor`` when the settings
        allow prepared statements (``PREPARED_STATEMENTS``;
        ``DATABASE_PREPARED_STATEMENTS``), else over a
        ``FixedStatementClientCursor`` (client-side binding, as Django's own
        cursors). Use it for SQL whose parameters keep their types from call to
        call: psycopg keeps up to ``prepared_max`` (100) statements per connection,
        keyed by the SQL text and the parameters' types."""
        prepared = bool(self.settings_dict.get("PREPARED_STATEMENTS"))
        self.close_if_health_check_failed()
        self.ensure_connection()
        with self.wrap_database_errors:
            kind = PreparingCursor if prepared else FixedStatementClientCursor
            cursor = kind(self.connection)
            # As Django's create_cursor: the connection's time zone for timestamptz.
            loader = self.connection.adapters.get_loader(base.TIMESTAMPTZ_OID, Format.TEXT)
            if self.timezone != getattr(loader, "timezone", None):
                register_tzloader(self.timezone, cursor)
            # As Django's _prepare_cursor: logged when queries are. (django-stubs
            # type the argument as the wrapper; Django passes the DB-API cursor.)
            self.validate_thread_sharing()
            if self.queries_logged:
                return self.make_debug_cursor(cursor)  # type: ignore[arg-type]
            return self.make_cursor(cursor)  # type: ignore[arg-type]
