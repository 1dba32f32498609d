"""``python manage.py rebuild_usage_rollups --since YYYY-MM-DD [--until YYYY-MM-DD]``."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from usage.services import usage_rollups_rebuild


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{value!r} is not a date: use YYYY-MM-DD.") from None


class Command(BaseCommand):
    help = (
        "Recompute the usage rollups from the raw usage rows: usage_daily, "
        "usage_daily_users and usage_daily_models one UTC day per transaction, from "
        "--since to --until (default: "
        "the last day with usage), then usage_monthly and usage_weekly_users per month and "
        "week touched. "
        "Inserts of usage wait for the day being recomputed (about a second at most)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--since", required=True, help="first UTC day, YYYY-MM-DD")
        parser.add_argument("--until", help="last UTC day, YYYY-MM-DD")

    def handle(self, *args, since: str, until: str | None = None, **options):
        first = _date(since)
        last = _date(until) if until else None
        if last is not None and last < first:
            raise CommandError("--until is before --since.")
        rows = usage_rollups_rebuild(since=first, until=last, stdout=self.stdout)
        self.stdout.write(self.style.SUCCESS(f"{rows} rollup row(s) written."))
