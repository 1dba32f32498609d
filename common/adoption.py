"""Adopting tables created by hand before this project managed them.

Users of the earlier product created ``sessions``, ``ai_sessions``,
``ai_interactions`` and ``user_sessions`` in Supabase's SQL editor, with rows in
them, in shapes that differ from the ones the migrations create (``customer_id``
BIGINT, nullable ``channel``/``status``, ``TIMESTAMP`` without time zone, no
counters, unmasked IPs). ``migrate`` keeps every row:

1. before the migrations run (``pre_migrate``), each such table that Django's
   migration history does not know is renamed ``<table>_adopted``, with its
   indexes (their names would collide with the new tables');
2. the migrations create the tables as the project defines them;
3. after them (``post_migrate``), every row is copied into the new table, turned
   into what its constraints require (rules in ``_session_row`` and friends), the
   AI sessions' counters are computed, and a comment on each ``*_adopted`` table
   records the copy so that a later ``migrate`` does not copy again.

The ``*_adopted`` tables stay, with row-level security on, until their owner
has checked the copy and drops them (``docs/production.md``). PostgreSQL only: the
tables came from PostgreSQL's SQL editor.
"""

import logging
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import OutputWrapper
from django.db import connections, transaction
from django.db.backends.utils import CursorWrapper
from django.db.migrations.recorder import MigrationRecorder

from common.client_ip import mask_ip
from common.phones import phone_normalize

if TYPE_CHECKING:
    from sessions_app.models import CustomerSession

logger = logging.getLogger(__name__)

SUFFIX = "_adopted"
COPIED = "adopted: every row was copied into the table without the suffix"

# table → the migration that creates it (app label, migration name).
ADOPTABLE = {
    "sessions": ("sessions_app", "0001_initial"),
    "user_sessions": ("sessions_app", "0002_user_profiles_user_sessions"),
    "ai_sessions": ("interactions", "0001_initial"),
    "ai_interactions": ("interactions", "0001_initial"),
}
BATCH = 1000


def _table_exists(cursor: CursorWrapper, name: str) -> bool:
    cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [f'"{name}"'])
    return bool(cursor.fetchone()[0])


def tables_to_adopt(*, using: str = "default") -> list[str]:
    """The hand-made tables ``migrate`` would otherwise fail on: they exist, but the
    migration that creates them is not recorded as applied."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return []
    recorder = MigrationRecorder(connection)
    applied = recorder.applied_migrations() if recorder.has_table() else {}
    with connection.cursor() as cursor:
        return [
            table
            for table, migration in ADOPTABLE.items()
            if migration not in applied and _table_exists(cursor, table)
        ]


def set_aside_before_migrate(
    sender: object,
    using: str = "default",
    verbosity: int = 1,
    stdout: OutputWrapper | None = None,
    **kwargs: Any,
) -> None:
    """``pre_migrate`` receiver: rename each table to adopt, and its indexes."""
    tables = tables_to_adopt(using=using)
    if not tables:
        return
    connection = connections[using]
    quote = connection.ops.quote_name
    with transaction.atomic(using=using), connection.cursor() as cursor:
        for table in tables:
            if _table_exists(cursor, table + SUFFIX):
                raise RuntimeError(
                    f"Both {table} and {table}{SUFFIX} exist: drop {table}{SUFFIX} once its "
                    "rows are checked, then run migrate again."
                )
            cursor.execute(
                "SELECT i.relname FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
                "WHERE x.indrelid = %s::regclass",
                [quote(table)],
            )
            for (index,) in cursor.fetchall():
                cursor.execute(
                    f"ALTER INDEX {quote(index)} RENAME TO {quote(_adopted_name(index))}"
                )
            cursor.execute(f"ALTER TABLE {quote(table)} RENAME TO {quote(table + SUFFIX)}")
    if verbosity and stdout is not None:
        stdout.write(f"Adopting existing tables: {', '.join(tables)} (set aside as *{SUFFIX})")


def _adopted_name(index: str) -> str:
    return (index[: 63 - len(SUFFIX)]) + SUFFIX


def copy_after_migrate(
    sender: object,
    using: str = "default",
    verbosity: int = 1,
    stdout: OutputWrapper | None = None,
    **kwargs: Any,
) -> None:
    """``post_migrate`` receiver: copy the rows of every ``*_adopted`` table not yet
    copied into its new table, in one transaction; say what was copied."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return
    copied = {}
    with transaction.atomic(using=using), connection.cursor() as cursor:
        pending = [
            table
            for table in ADOPTABLE
            if _table_exists(cursor, table + SUFFIX)
            and _table_exists(cursor, table)
            and _comment(cursor, table + SUFFIX) != COPIED
        ]
        # Parents before children: ai_interactions reference ai_sessions.
        for table in sorted(pending, key=list(ADOPTABLE).index):
            copied[table] = _COPIERS[table](cursor)
            quote = connection.ops.quote_name
            cursor.execute(f"COMMENT ON TABLE {quote(table + SUFFIX)} IS %s", [COPIED])
            cursor.execute(f"ALTER TABLE {quote(table + SUFFIX)} ENABLE ROW LEVEL SECURITY")
    if copied and verbosity and stdout is not None:
        stdout.write(
            "Adopted rows: "
            + ", ".join(f"{table} {count}" for table, count in copied.items())
            + f"; the *{SUFFIX} tables can be dropped once checked."
        )


def _comment(cursor: CursorWrapper, table: str) -> str | None:
    cursor.execute("SELECT obj_description(%s::regclass, 'pg_class')", [f'"{table}"'])
    return cursor.fetchone()[0]


def _rows(cursor: CursorWrapper, sql: str) -> Iterator[dict[str, Any]]:
    cursor.execute(sql)
    columns = [c.name for c in cursor.description]
    while batch := cursor.fetchmany(BATCH):
        yield from (dict(zip(columns, row, strict=True)) for row in batch)


def _utc(value: datetime | None) -> datetime | None:
    """A seed ``TIMESTAMP`` (no time zone) was written in UTC; make it aware."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def _session_row(
    row: dict[str, Any], *, now: datetime, active_phones: set[str]
) -> "CustomerSession":
    """One ``sessions`` row as the constraints require it, or as close as it gets:
    phone in E.164 when it parses (kept as written otherwise), an unknown channel
    ``chat``, a missing status from its expiry (``expired`` when no time is known),
    a second active session for one phone ``expired`` (the newest stays active),
    missing times from the others, and a new token where there was none or one
    that restore would refuse (too short to be unguessable): that customer
    continues by phone."""
    from sessions_app.models import CustomerSession, new_session_token
    from sessions_app.services.customer_sessions import _TOKEN_SHAPE

    try:
        phone = phone_normalize(row["phone"] or "")
    except ValidationError:
        phone = row["phone"] or ""
    created = _utc(row.get("created_at"))
    last = _utc(row.get("last_activity")) or created
    expires = _utc(row.get("expires_at"))
    if expires is None:  # a row of unknown age is not revived
        expires = last + timedelta(seconds=settings.SESSION_TTL) if last else now
    last = last or expires
    created = created or last
    status = row.get("status")
    if status not in CustomerSession.Status.values:
        status = "active" if expires > now else "expired"
    if status == "active":
        if phone in active_phones:
            status = "expired"
        active_phones.add(phone)
    channel = row.get("channel")
    metadata = row.get("metadata")
    token = row.get("session_token")
    return CustomerSession(
        session_id=row["session_id"],
        customer_id="" if row.get("customer_id") is None else str(row["customer_id"]),
        phone=phone,
        channel=channel if channel in CustomerSession.Channel.values else "chat",
        session_token=token if token and _TOKEN_SHAPE.match(token) else new_session_token(),
        status=status,
        created_at=created,
        last_activity=last,
        expires_at=expires,
        metadata={} if metadata is None else metadata,
    )


def _copy_sessions(cursor: CursorWrapper) -> int:
    from sessions_app.models import CustomerSession

    now = datetime.now(UTC)
    active_phones: set[str] = set()
    rows = list(
        _rows(
            cursor,
            "SELECT * FROM sessions_adopted ORDER BY last_activity DESC NULLS LAST, session_id",
        )
    )
    made = [_session_row(row, now=now, active_phones=active_phones) for row in rows]
    CustomerSession.objects.bulk_create(made, batch_size=BATCH)
    return len(made)


def _copy_ai_sessions(cursor: CursorWrapper) -> int:
    from interactions.models import AISession

    made = [
        AISession(
            id=row["id"],
            user_id=row.get("user_id"),
            created_at=_utc(row.get("created_at")) or datetime.now(UTC),
            updated_at=_utc(row.get("updated_at") or row.get("created_at")) or datetime.now(UTC),
        )
        for row in _rows(cursor, "SELECT * FROM ai_sessions_adopted ORDER BY id")
    ]
    AISession.objects.bulk_create(made, batch_size=BATCH)
    return len(made)


def _copy_ai_interactions(cursor: CursorWrapper) -> int:
    from interactions.models import AIInteraction

    made = [
        AIInteraction(
            id=row["id"],
            session_id=row["session_id"],
            prompt=row["prompt"],
            response=row["response"],
            model_used=row.get("model_used"),
            tokens_used=row.get("tokens_used"),
            created_at=_utc(row.get("created_at")) or datetime.now(UTC),
        )
        for row in _rows(cursor, "SELECT * FROM ai_interactions_adopted ORDER BY id")
    ]
    AIInteraction.objects.bulk_create(made, batch_size=BATCH)
    # The counters the API keeps on each session, computed once for the copied rows.
    cursor.execute(
        "UPDATE ai_sessions s SET interaction_count = c.n, last_interaction_at = c.last "
        "FROM (SELECT session_id, count(*) AS n, max(created_at) AS last "
        "      FROM ai_interactions GROUP BY session_id) c WHERE c.session_id = s.id"
    )
    return len(made)


def _copy_user_sessions(cursor: CursorWrapper) -> int:
    from sessions_app.models import UserProfile, UserSession

    rows = list(_rows(cursor, "SELECT * FROM user_sessions_adopted ORDER BY started_at, id"))
    # Every user gets the profile a first request would have made.
    UserProfile.objects.bulk_create(
        [UserProfile(id=user_id) for user_id in {row["user_id"] for row in rows}],
        ignore_conflicts=True,
        batch_size=BATCH,
    )
    fields = [f.attname for f in UserSession._meta.concrete_fields]
    made = []
    for row in rows:
        values = {name: row[name] for name in fields if name in row}
        ip = row.get("ip_address")
        values["ip_address"] = mask_ip(str(ip)) if ip is not None else None
        made.append(UserSession(**values))
    UserSession.objects.bulk_create(made, batch_size=BATCH)
    return len(made)


_COPIERS: dict[str, Callable[[CursorWrapper], int]] = {
    "sessions": _copy_sessions,
    "user_sessions": _copy_user_sessions,
    "ai_sessions": _copy_ai_sessions,
    "ai_interactions": _copy_ai_interactions,
}
