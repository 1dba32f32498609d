"""Is anything broken? Database round trip, pending migrations, maintenance command
runs and recent server errors."""

import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from django.core.cache import cache as django_cache
from django.core.management import get_commands, load_command_class
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.db.models import Max
from django.utils import timezone

from admin_panel.models import CommandRun, ServerError

MIGRATIONS_CACHE_KEY = "admin_panel:pending_migrations"
MIGRATIONS_CACHE_SECONDS = 60
LATEST_ERRORS = 10


@dataclass(frozen=True)
class DatabaseHealth:
    """``reachable``; ``round_trip_ms``: one ``SELECT 1``, in milliseconds."""

    reachable: bool
    round_trip_ms: float | None
    vendor: str
    error: str = ""


@dataclass(frozen=True)
class CommandStatus:
    """The latest run of one maintenance command (``run`` is None when never run)."""

    command: str
    run: CommandRun | None


@dataclass(frozen=True)
class ErrorSummary:
    """5xx answers in the last 24 hours and the latest ones."""

    count_24h: int
    latest: list[ServerError]


def database_health() -> DatabaseHealth:
    """Time one ``SELECT 1`` (milliseconds); never raises for a database error."""
    started = time.perf_counter()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        return DatabaseHealth(False, None, connection.vendor, type(exc).__name__)
    elapsed = (time.perf_counter() - started) * 1000
    return DatabaseHealth(True, round(elapsed, 2), connection.vendor)


def pending_migrations() -> list[str]:
    """Names (``app.migration``) of migrations not applied, cached for a minute (the
    check reads every migration file; the list only changes on a deploy)."""
    cached = django_cache.get(MIGRATIONS_CACHE_KEY)
    if cached is not None:
        return cached
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    names = [f"{migration.app_label}.{migration.name}" for migration, _backwards in plan]
    django_cache.set(MIGRATIONS_CACHE_KEY, names, MIGRATIONS_CACHE_SECONDS)
    return names


@cache
def maintenance_commands() -> tuple[str, ...]:
    """Names of the commands that record their runs (subclasses of ``RecordedCommand``)."""
    from admin_panel.commands import RecordedCommand

    names = []
    for name, app in get_commands().items():
        if isinstance(app, str) and not app.startswith("django."):
            try:
                command = load_command_class(app, name)
            except ImportError:
                continue
            if isinstance(command, RecordedCommand):
                names.append(name)
    return tuple(sorted(names))


def command_statuses() -> list[CommandStatus]:
    """The latest run of every maintenance command, also of commands never run (one query)."""
    latest_ids = CommandRun.objects.values("command").annotate(last=Max("id")).values("last")
    runs = {run.command: run for run in CommandRun.objects.filter(id__in=latest_ids)}
    names = sorted(set(maintenance_commands()) | set(runs))
    return [CommandStatus(command=name, run=runs.get(name)) for name in names]


def server_errors(*, now: datetime | None = None) -> ErrorSummary:
    """The number of 5xx answers in the 24 hours before ``now`` and the latest
    ``LATEST_ERRORS`` (two queries on the ``occurred_at`` index)."""
    now = now or timezone.now()
    count = ServerError.objects.filter(occurred_at__gte=now - timedelta(hours=24)).count()
    latest = list(ServerError.objects.order_by("-occurred_at")[:LATEST_ERRORS])
    return ErrorSummary(count_24h=count, latest=latest)
