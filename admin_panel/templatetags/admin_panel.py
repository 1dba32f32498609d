"""Template helpers of the admin panel: money, changes, a user's activity panel."""

from decimal import Decimal

from django import template

from admin_panel.selectors.users import user_activity
from sessions_app.models import UserProfile

register = template.Library()


@register.filter
def usd(value: Decimal | float | None) -> str:
    """``$1,234.5678``: USD with four decimals (single calls cost fractions of a cent)."""
    amount = Decimal(value or 0)
    return f"${amount:,.4f}"


@register.filter
def change_pct(value: float | None) -> str:
    """``+12.5 %`` / ``-3.0 %``; ``—`` when there is nothing to compare with."""
    if value is None:
        return "—"
    sign = "+" if value >= 0 else "-"
    return f"{sign}{abs(value):.1f} %"


@register.filter
def percent(value: Decimal | float | None) -> str:
    """A fraction as a percentage: ``0.95`` → ``95 %``; ``—`` for none."""
    if value is None:
        return "—"
    return f"{Decimal(value) * 100:.0f} %"


@register.inclusion_tag("admin_panel/user_activity.html")
def user_activity_panel(profile: UserProfile | None) -> dict:
    """The activity block of a user profile's page (nothing on the add page)."""
    if profile is None or profile.pk is None:
        return {"activity": None}
    return {"activity": user_activity(profile=profile), "profile": profile}
