"""``manage.py sync_openai_files [--dry-run]``: reconcile the documents table with
the OpenAI vector store (see ``documents.services.sync``)."""

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError

from documents.exceptions import OpenAIUnavailable
from documents.services.sync import DEFAULT_STALE_AFTER, SyncAlreadyRunning, documents_sync


class Command(BaseCommand):
    help = (
        "Reconcile the documents table with the vector store OPENAI_VECTOR_STORE_ID: record "
        "files nobody here uploaded, mark documents whose file is gone as missing, refresh "
        "statuses. Prints 'known N, new N, missing N, refreshed N'. Safe to run from cron: "
        "a second run while one is in progress stops at once. Exit status 1 when OpenAI "
        "cannot be reached or is not configured."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="count what would change; change nothing"
        )
        parser.add_argument(
            "--stale-after-minutes",
            type=int,
            default=int(DEFAULT_STALE_AFTER.total_seconds() // 60),
            help="a run or an upload unfinished for this long is taken as dead (default 30)",
        )

    def handle(self, *args, dry_run: bool, stale_after_minutes: int, **options):
        if stale_after_minutes < 1:
            raise CommandError("--stale-after-minutes must be at least 1.")
        try:
            _run, counts = documents_sync(
                dry_run=dry_run, stale_after=timedelta(minutes=stale_after_minutes)
            )
        except SyncAlreadyRunning as exc:
            self.stderr.write(f"{exc} Nothing done.")
            return
        except OpenAIUnavailable as exc:
            raise CommandError(f"Sync failed: {exc.message}") from exc
        prefix = "dry run: " if dry_run else ""
        self.stdout.write(f"{prefix}{counts.line()}")
