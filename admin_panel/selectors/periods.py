"""Calendar periods of the dashboard, in UTC days.

Weeks start on Monday (ISO 8601). A period "to date" is compared with the
previous period up to the same day: this week (Monday to today) with last week
Monday to the same weekday, this month (the 1st to today) with last month the
1st to the same day of the month (its last day when shorter), today with
yesterday. Whole days, so that the same figures can come from a daily rollup.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

CHART_DAYS = 30


@dataclass(frozen=True)
class Period:
    """Inclusive range of UTC days."""

    first: date
    last: date

    def contains(self, day: date) -> bool:
        return self.first <= day <= self.last


@dataclass(frozen=True)
class Periods:
    """The dashboard's periods for one ``today``."""

    today: date
    day: Period
    previous_day: Period
    week: Period
    previous_week: Period
    month: Period
    previous_month: Period
    chart: Period

    @property
    def earliest(self) -> date:
        """The first day any figure needs (start of the previous month or of the chart)."""
        return min(self.previous_month.first, self.chart.first, self.previous_week.first)

    @property
    def chart_days(self) -> list[date]:
        return [self.chart.first + timedelta(days=n) for n in range(CHART_DAYS)]


def periods_for(today: date) -> Periods:
    """The periods that end on ``today`` (a UTC date)."""
    week_first = today - timedelta(days=today.weekday())
    previous_week_first = week_first - timedelta(days=7)
    month_first = today.replace(day=1)
    previous_month_last = month_first - timedelta(days=1)
    previous_month_first = previous_month_last.replace(day=1)
    previous_month_to = min(
        previous_month_first + timedelta(days=today.day - 1), previous_month_last
    )
    yesterday = today - timedelta(days=1)
    return Periods(
        today=today,
        day=Period(today, today),
        previous_day=Period(yesterday, yesterday),
        week=Period(week_first, today),
        previous_week=Period(previous_week_first, previous_week_first + (today - week_first)),
        month=Period(month_first, today),
        previous_month=Period(previous_month_first, previous_month_to),
        chart=Period(today - timedelta(days=CHART_DAYS - 1), today),
    )


def day_start(day: date) -> datetime:
    """00:00 UTC of ``day`` (an aware datetime)."""
    return datetime.combine(day, time.min, tzinfo=UTC)
