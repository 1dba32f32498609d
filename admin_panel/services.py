"""Writes of the admin panel's own tables: command runs, server errors, the analyst group."""

from django.contrib.auth.models import Group, Permission
from django.db.models import Q, Subquery
from django.utils import timezone

from admin_panel.models import CommandRun, ServerError

# Rows kept: the newest this many runs of each command, and errors overall.
COMMAND_RUNS_KEPT_PER_COMMAND = 200
SERVER_ERRORS_KEPT = 1000

ANALYST_GROUP = "analyst"


def command_run_start(*, command: str) -> CommandRun:
    """Record that ``command`` started; returns the row to pass to ``command_run_finish``."""
    return CommandRun.objects.create(
        command=command, started_at=timezone.now(), status=CommandRun.Status.RUNNING
    )


def command_run_finish(*, run: CommandRun, summary: str = "", error: str = "") -> CommandRun:
    """Record how ``run`` ended: ``succeeded`` with ``summary`` (what it did), or
    ``failed`` with ``error``; then trim the command's runs to the newest
    ``COMMAND_RUNS_KEPT_PER_COMMAND`` (two statements: an UPDATE, a DELETE below the
    id of the oldest kept run, found by a subquery).
    """
    finished = timezone.now()
    run.finished_at = finished
    run.duration_ms = max(0, int((finished - run.started_at).total_seconds() * 1000))
    run.status = CommandRun.Status.FAILED if error else CommandRun.Status.SUCCEEDED
    run.summary = summary[:2000]
    run.error = error[:2000]
    run.save(update_fields=["finished_at", "duration_ms", "status", "summary", "error"])
    oldest_kept = (
        CommandRun.objects.filter(command=run.command)
        .order_by("-id")
        .values_list("id", flat=True)[
            COMMAND_RUNS_KEPT_PER_COMMAND - 1 : COMMAND_RUNS_KEPT_PER_COMMAND
        ]
    )
    CommandRun.objects.filter(command=run.command, id__lt=Subquery(oldest_kept)).delete()
    return run


def server_error_record(
    *, method: str, path: str, status_code: int, error_class: str = "", request_id: str = ""
) -> ServerError:
    """Record one 5xx answer and drop what falls outside the newest ``SERVER_ERRORS_KEPT``.

    ``path`` is stored without its query string. Two statements in autocommit (an
    INSERT, then a DELETE of ids older than the kept window by primary key).
    """
    row = ServerError.objects.create(
        occurred_at=timezone.now(),
        method=method[:10],
        path=path[:500],
        status_code=status_code,
        error_class=error_class[:200],
        request_id=request_id[:128],
    )
    ServerError.objects.filter(id__lte=row.id - SERVER_ERRORS_KEPT).delete()
    return row


def analyst_group_grant_view_permissions(*, app_label: str | None = None) -> Group | None:
    """Give the ``analyst`` group every ``view_*`` permission (of one app, or of all).

    Called after each app's migrations so that models added later are visible to
    analysts too. Returns the group, or None when it does not exist (it is created
    by a migration; an operator may have deleted it on purpose).
    """
    group = Group.objects.filter(name=ANALYST_GROUP).first()
    if group is None:
        return None
    view = Permission.objects.filter(Q(codename__startswith="view_"))
    if app_label is not None:
        view = view.filter(content_type__app_label=app_label)
    group.permissions.add(*view)
    return group
