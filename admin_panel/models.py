"""What the admin's health panel reads: maintenance command runs and server errors.

Both tables are written by the system (a command base class and a middleware),
never by hand, and both stay small: each keeps a bounded number of rows (the
newest), trimmed by the writer with one indexed DELETE.
"""

from django.db import models
from django.db.models.functions import Now


class CommandRun(models.Model):
    """One run of a maintenance command (``manage.py expire_sessions`` …).

    ``summary`` is the last line the command printed (what it did, e.g.
    "Expired 12 customer session(s)."); ``error`` the exception's class and
    message when it failed. ``finished_at`` is NULL while it runs (or when the
    process died before it could say how it ended).
    """

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    command = models.CharField(max_length=100)
    started_at = models.DateTimeField(db_default=Now())
    finished_at = models.DateTimeField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RUNNING)
    summary = models.TextField(blank=True, default="")
    error = models.TextField(blank=True, default="")

    class Meta:
        db_table = "admin_command_runs"
        verbose_name = "command run"
        ordering = ["-started_at"]
        indexes = [
            # "Latest run of each command" and the per-command trim.
            models.Index(fields=["command", "-id"], name="command_runs_command_idx"),
            models.Index(fields=["started_at"], name="command_runs_started_idx"),
            models.Index(fields=["status"], name="command_runs_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.command} @ {self.started_at:%Y-%m-%d %H:%M:%S}"


class ServerError(models.Model):
    """One answer with a 5xx status: when, which route, which error, which request.

    Never the query string, the body or the exception's message (they may
    carry personal data or secrets): the path, the method, the status, the
    exception's class and the request id, which finds the full log line.
    """

    occurred_at = models.DateTimeField(db_default=Now())
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    status_code = models.PositiveSmallIntegerField()
    error_class = models.CharField(max_length=200, blank=True, default="")
    request_id = models.CharField(max_length=128, blank=True, default="")

    class Meta:
        db_table = "admin_server_errors"
        verbose_name = "server error"
        ordering = ["-occurred_at"]
        indexes = [
            models.Index(fields=["occurred_at"], name="server_errors_occurred_idx"),
            models.Index(fields=["status_code"], name="server_errors_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.status_code} {self.method} {self.path}"
