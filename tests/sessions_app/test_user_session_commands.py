"""The maintenance commands that replace the original SQL functions, on rows made old."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from sessions_app.models import UserSession
from tests.sessions_app.factories import UserSessionFactory

pytestmark = pytest.mark.django_db


def run(name: str, *args) -> str:
    out = StringIO()
    call_command(name, *args, stdout=out)
    return out.getvalue()


def aged(*, status="active", started=120, heartbeat=90, ended=None, **extra) -> UserSession:
    """A session started ``started`` minutes ago whose last heartbeat (and activity) was
    ``heartbeat`` minutes ago; ``ended`` days ago when given."""
    now = timezone.now()
    session = UserSessionFactory(status=status, **extra)
    values = {
        "started_at": now - timedelta(minutes=started),
        "last_activity_at": now - timedelta(minutes=heartbeat),
        "last_heartbeat_at": now - timedelta(minutes=heartbeat),
        "updated_at": now - timedelta(days=400),
    }
    if ended is not None:
        values["ended_at"] = now - timedelta(days=ended)
    UserSession.objects.filter(pk=session.pk).update(**values)
    session.refresh_from_db()
    return session


# --- end_inactive_sessions -------------------------------------------------------------


def test_end_inactive_times_out_silent_sessions_with_their_real_duration():
    silent = aged(started=120, heartbeat=90)
    silent_idle = aged(status="idle", started=200, heartbeat=61)
    alive = aged(started=120, heartbeat=5)
    ended = aged(status="ended", started=300, heartbeat=200, end_reason="logout")

    output = run("end_inactive_sessions", "--timeout-minutes", "60")

    assert output.strip() == "Timed out 2 user session(s) with no heartbeat for 60 minute(s)."
    silent.refresh_from_db()
    assert (silent.status, silent.end_reason) == ("timeout", "timeout")
    # Ended at the last heartbeat, so 30 minutes long (not 120 minutes, as NOW() gave).
    assert silent.ended_at == silent.last_heartbeat_at
    assert 30 * 60 - 1 <= silent.total_duration_seconds <= 30 * 60 + 1
    assert silent.updated_at > timezone.now() - timedelta(minutes=1)
    silent_idle.refresh_from_db()
    assert silent_idle.status == "timeout"
    assert 139 * 60 - 1 <= silent_idle.total_duration_seconds <= 139 * 60 + 1
    assert UserSession.objects.get(pk=alive.pk).status == "active"
    assert UserSession.objects.get(pk=ended.pk).end_reason == "logout"


def test_end_inactive_uses_last_activity_when_a_row_has_no_heartbeat():
    session = aged(started=100, heartbeat=80)
    UserSession.objects.filter(pk=session.pk).update(last_heartbeat_at=None)

    run("end_inactive_sessions", "--timeout-minutes", "60")

    session.refresh_from_db()
    assert session.status == "timeout"
    assert session.ended_at == session.last_activity_at


def test_end_inactive_defaults_to_the_setting(settings):
    settings.USER_SESSION_TIMEOUT_MINUTES = 30  # read when the command's parser is built
    aged(heartbeat=45)
    aged(heartbeat=20)

    output = run("end_inactive_sessions")

    assert output.strip() == "Timed out 1 user session(s) with no heartbeat for 30 minute(s)."


def test_end_inactive_dry_run_changes_nothing():
    session = aged(heartbeat=90)

    output = run("end_inactive_sessions", "--timeout-minutes", "60", "--dry-run")

    assert output.startswith("Would time out 1 user session(s)")
    assert UserSession.objects.get(pk=session.pk).status == "active"


def test_end_inactive_is_one_update(django_assert_num_queries):
    for _ in range(5):
        aged(heartbeat=90)

    # One UPDATE of the sessions; three more record the run for the admin.
    with django_assert_num_queries(4) as captured:
        run("end_inactive_sessions", "--timeout-minutes", "60")
    assert sum('"user_sessions"' in query["sql"] for query in captured.captured_queries) == 1

    assert UserSession.objects.filter(status="timeout").count() == 5


# --- mark_idle_sessions ----------------------------------------------------------------


def test_mark_idle_marks_active_sessions_without_recent_heartbeats():
    quiet = aged(heartbeat=20)
    busy = aged(heartbeat=2)
    ended = aged(status="ended", heartbeat=20)

    output = run("mark_idle_sessions", "--idle-minutes", "15")

    assert output.strip() == "Marked 1 user session(s) idle (no heartbeat for 15 minute(s))."
    quiet.refresh_from_db()
    assert quiet.status == "idle"
    assert quiet.updated_at > timezone.now() - timedelta(minutes=1)
    assert UserSession.objects.get(pk=busy.pk).status == "active"
    assert UserSession.objects.get(pk=ended.pk).status == "ended"


def test_mark_idle_dry_run_changes_nothing():
    session = aged(heartbeat=20)

    output = run("mark_idle_sessions", "--idle-minutes", "15", "--dry-run")

    assert output.startswith("Would mark 1 user session(s) idle")
    assert UserSession.objects.get(pk=session.pk).status == "active"


def test_idle_then_heartbeat_then_timeout_is_the_whole_life_cycle():
    session = aged(heartbeat=20)
    run("mark_idle_sessions", "--idle-minutes", "15")
    assert UserSession.objects.get(pk=session.pk).status == "idle"
    UserSession.objects.filter(pk=session.pk).update(
        last_heartbeat_at=timezone.now() - timedelta(minutes=61)
    )

    run("end_inactive_sessions", "--timeout-minutes", "60")

    assert UserSession.objects.get(pk=session.pk).status == "timeout"


# --- cleanup_old_sessions --------------------------------------------------------------


def test_cleanup_deletes_sessions_that_ended_long_ago_in_batches():
    old = [aged(status="ended", ended=100 + n) for n in range(5)]
    recent = aged(status="ended", ended=10)
    live = aged(status="active")

    output = run("cleanup_old_sessions", "--days", "90", "--batch-size", "2")

    assert output.strip() == (
        "Deleted 5 user session(s) that ended over 90 days ago in 3 batch(es) of up to 2."
    )
    remaining = set(UserSession.objects.values_list("pk", flat=True))
    assert remaining == {recent.pk, live.pk}
    assert not any(s.pk in remaining for s in old)


def test_cleanup_dry_run_deletes_nothing():
    aged(status="timeout", ended=200)

    output = run("cleanup_old_sessions", "--days", "90", "--dry-run")

    assert output.strip() == "Would delete 1 user session(s) that ended over 90 days ago."
    assert UserSession.objects.count() == 1


def test_cleanup_with_nothing_to_do_says_so():
    output = run("cleanup_old_sessions", "--days", "90")

    assert output.startswith("Deleted 0 user session(s)")


@pytest.mark.parametrize(
    "command, args",
    [
        ("cleanup_old_sessions", ["--days", "0"]),
        ("cleanup_old_sessions", ["--batch-size", "0"]),
        ("end_inactive_sessions", ["--timeout-minutes", "0"]),
        ("mark_idle_sessions", ["--idle-minutes", "-5"]),
        # Beyond 100 years: these overflowed timedelta/datetime with a traceback.
        ("end_inactive_sessions", ["--timeout-minutes", "99999999999999"]),
        ("end_inactive_sessions", ["--timeout-minutes", str(100 * 365 * 24 * 60 + 1)]),
        ("mark_idle_sessions", ["--idle-minutes", "99999999999999"]),
        ("cleanup_old_sessions", ["--days", "1000000"]),
        ("cleanup_old_sessions", ["--days", "36501"]),
        ("cleanup_old_sessions", ["--batch-size", "99999999999999999999999"]),
    ],
)
def test_nonsense_options_are_refused(command, args):
    aged(status="ended", ended=200)

    with pytest.raises(CommandError, match="must be between 1 and"):
        call_command(command, *args, stdout=StringIO())

    assert UserSession.objects.count() == 1


def test_the_largest_accepted_options_run():
    """100 years (in minutes or days) is accepted and fits both databases."""
    aged(status="ended", ended=200)
    live = aged(heartbeat=90)

    assert run("end_inactive_sessions", "--timeout-minutes", str(100 * 365 * 24 * 60)).startswith(
        "Timed out 0 "
    )
    assert run("mark_idle_sessions", "--idle-minutes", str(100 * 365 * 24 * 60)).startswith(
        "Marked 0 "
    )
    assert run("cleanup_old_sessions", "--days", "36500", "--batch-size", "10000").startswith(
        "Deleted 0 "
    )
    assert UserSession.objects.count() == 2
    assert UserSession.objects.get(pk=live.pk).status == "active"
