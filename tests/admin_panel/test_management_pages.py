"""Every model in the admin, built for large tables; CSV export; actions state their
permission; the analyst group views everything and changes nothing."""

import csv
import io
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import Group
from django.db.models import UniqueConstraint
from django.utils import timezone
from rest_framework_api_key.models import APIKey

from admin_panel import services
from admin_panel.models import CommandRun
from common.admin import CsvExportMixin, ReadOnlyAdminMixin, csv_cell
from documents.models import DocumentSyncRun
from sessions_app.models import CustomerSession, UserSession
from tests.documents.factories import DocumentAccessFactory, DocumentFactory
from tests.interactions.factories import AIInteractionFactory, AISessionFactory
from tests.sessions_app.factories import (
    CustomerSessionFactory,
    UserProfileFactory,
    UserSessionFactory,
)
from tests.usage.factories import RecordedUsageLogFactory
from usage.models import (
    Budget,
    UsageAlert,
    UsageDaily,
    UsageDailyModel,
    UsageDailyUser,
    UsageLog,
    UsageMonthly,
    UsageWeeklyUser,
)

pytestmark = pytest.mark.django_db

PROJECT_APPS = ["sessions_app", "interactions", "documents", "usage", "admin_panel"]


def project_admins():
    return [
        (model, model_admin)
        for model, model_admin in admin.site._registry.items()
        if model._meta.app_label in PROJECT_APPS
    ]


def test_every_model_of_every_app_is_in_the_admin():
    for label in PROJECT_APPS:
        for model in apps.get_app_config(label).get_models():
            assert model in admin.site._registry, model


# The raw usage log has date filters but no date hierarchy: its year / month list is a
# DISTINCT over the dates of every row, a full scan of the largest table.
NO_DATE_HIERARCHY = {UsageLog}
# Rows the system writes: nobody adds, edits or deletes them in the admin.
SYSTEM_WRITTEN = [
    UsageLog,
    UsageDaily,
    UsageDailyUser,
    UsageDailyModel,
    UsageWeeklyUser,
    UsageMonthly,
    UsageAlert,
    DocumentSyncRun,
    CommandRun,
]


def test_every_admin_is_built_for_large_tables():
    for model, model_admin in project_admins():
        assert model_admin.show_full_result_count is False, model
        assert isinstance(model_admin, CsvExportMixin), model
        assert model_admin.date_hierarchy or model in NO_DATE_HIERARCHY, model
        assert model_admin.search_fields, model


def test_rows_the_system_writes_are_read_only():
    for model in SYSTEM_WRITTEN:
        assert isinstance(admin.site._registry[model], ReadOnlyAdminMixin), model


def _indexed_fields(model) -> set[str]:
    """Fields that lead an index (or appear in a partial index's condition)."""
    opts = model._meta
    fields = {opts.pk.name}
    fields |= {f.name for f in opts.fields if f.db_index or f.unique}
    unique = [c for c in opts.constraints if isinstance(c, UniqueConstraint)]
    for index in [*opts.indexes, *unique]:
        leading = getattr(index, "fields", None) or []
        if leading:
            fields.add(leading[0].lstrip("-"))
        condition = getattr(index, "condition", None)
        if condition is not None:
            fields |= {child[0].split("__")[0] for child in condition.children}
    return fields


def test_an_index_behind_every_filter_ordering_and_date_hierarchy():
    for model, model_admin in project_admins():
        indexed = _indexed_fields(model)
        wanted = [f.lstrip("-") for f in model_admin.get_ordering(None)[:1]]
        wanted += [f for f in model_admin.list_filter if isinstance(f, str)]
        if model_admin.date_hierarchy:
            wanted.append(model_admin.date_hierarchy)
        for name in wanted:
            assert name in indexed, f"{model.__name__}.{name} has no index"


def test_every_action_states_its_permission(rf, admin_user):
    request = rf.get("/admin/")
    request.user = admin_user
    for model, model_admin in admin.site._registry.items():
        for name, (func, _name, _desc) in model_admin.get_actions(request).items():
            assert getattr(func, "allowed_permissions", None), f"{model.__name__}: {name}"


# --- A fixed number of queries per page, whatever the page holds --------------------


def _customer_sessions(n):
    CustomerSessionFactory.create_batch(n)


def _user_sessions(n):
    for _ in range(n):
        UserSessionFactory()


def _interactions(n):
    AIInteractionFactory.create_batch(n)


def _ai_sessions(n):
    for session in AISessionFactory.create_batch(n):
        AIInteractionFactory(session=session)
        RecordedUsageLogFactory(ai_session=session)


def _profiles(n):
    UserProfileFactory.create_batch(n)


def _usage(n):
    RecordedUsageLogFactory.create_batch(n, ai_session=AISessionFactory())


def _runs(n):
    for _ in range(n):
        services.command_run_finish(run=services.command_run_start(command="expire_sessions"))


def _errors(n):
    for i in range(n):
        services.server_error_record(method="GET", path=f"/x{i}", status_code=500)


def _keys(n):
    for i in range(n):
        APIKey.objects.create_key(name=f"kiosk-{i}")


def _documents(n):
    owner = UserProfileFactory()
    for i in range(n):
        DocumentFactory(owner=owner, title=f"doc {i}")


def _grants(n):
    document = DocumentFactory()
    for _ in range(n):
        DocumentAccessFactory(document=document, granted_by=document.owner)


def _sync_runs(n):
    now = timezone.now()
    DocumentSyncRun.objects.bulk_create(
        DocumentSyncRun(started_at=now - timedelta(minutes=i), outcome="succeeded")
        for i in range(n)
    )


def _rollup(n):
    for _ in range(n):
        RecordedUsageLogFactory(user_id=f"user-{uuid.uuid4()}")


def _budgets(n):
    Budget.objects.bulk_create(
        Budget(user_id=f"user-{i}", limit_usd=Decimal(10), alert_thresholds=[0.8]) for i in range(n)
    )


def _alerts(n):
    budget = Budget.objects.create(role="user", limit_usd=Decimal(1), alert_thresholds=[0.5])
    now = timezone.now()
    UsageAlert.objects.bulk_create(
        UsageAlert(
            budget=budget,
            user_id=f"user-{i}",
            threshold=Decimal("0.5"),
            window_start=now,
            used_usd=Decimal(1),
            used_tokens=0,
        )
        for i in range(n)
    )


PAGES = [
    ("/admin/sessions_app/customersession/", _customer_sessions),
    ("/admin/sessions_app/usersession/", _user_sessions),
    ("/admin/sessions_app/userprofile/", _profiles),
    ("/admin/interactions/aisession/", _ai_sessions),
    ("/admin/interactions/aiinteraction/", _interactions),
    ("/admin/usage/usagelog/", _usage),
    ("/admin/admin_panel/commandrun/", _runs),
    ("/admin/admin_panel/servererror/", _errors),
    ("/admin/rest_framework_api_key/apikey/", _keys),
    ("/admin/documents/document/", _documents),
    ("/admin/documents/documentaccess/", _grants),
    ("/admin/documents/documentsyncrun/", _sync_runs),
    ("/admin/usage/usagedaily/", _rollup),
    ("/admin/usage/usagedailyuser/", _rollup),
    ("/admin/usage/usageweeklyuser/", _rollup),
    ("/admin/usage/usagemonthly/", _rollup),
    ("/admin/usage/budget/", _budgets),
    ("/admin/usage/usagealert/", _alerts),
]


@pytest.mark.parametrize(("url", "make"), PAGES, ids=[url.split("/")[-2] for url, _ in PAGES])
def test_a_changelist_costs_the_same_queries_for_2_or_40_rows(
    staff_client, django_assert_max_num_queries, url, make
):
    make(2)
    with django_assert_max_num_queries(15) as few:
        assert staff_client.get(url).status_code == 200
    make(38)

    with django_assert_max_num_queries(len(few.captured_queries)):
        response = staff_client.get(url)
    assert len(response.context["cl"].result_list) >= 40


# --- CSV export ---------------------------------------------------------------------


def test_export_selected_rows_as_csv(staff_client):
    kiosk = CustomerSessionFactory(channel="kiosk", phone="+919876500001", customer_id="=1+2")
    CustomerSessionFactory(channel="whatsapp")

    response = staff_client.post(
        "/admin/sessions_app/customersession/",
        {"action": "export_csv", "_selected_action": [str(kiosk.pk)]},
    )

    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert "customersession-" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:3] == ["Phone", "Customer id", "Channel"]
    assert len(rows) == 2
    phone, customer_id, channel = rows[1][:3]
    assert (phone, customer_id, channel) == ("+919876500001", "'=1+2", "kiosk")
    assert kiosk.session_token not in "".join(rows[1])
    assert rows[1][-1] == csv_cell(kiosk.token_hint)  # a hint may start with "-"


def test_csv_cells_are_plain_text():
    assert csv_cell(None) == "" and csv_cell("-12.5") == "-12.5"
    assert csv_cell("@SUM(A1)") == "'@SUM(A1)" and csv_cell("-cmd") == "'-cmd"
    assert csv_cell(Decimal("0.0010")) == "0.0010"


# --- Actions ------------------------------------------------------------------------


def test_revoke_api_keys(staff_client):
    key, _ = APIKey.objects.create_key(name="old kiosk")
    kept, _ = APIKey.objects.create_key(name="new kiosk")

    staff_client.post(
        "/admin/rest_framework_api_key/apikey/",
        {"action": "revoke_keys", "_selected_action": [key.pk]},
    )

    key.refresh_from_db()
    kept.refresh_from_db()
    assert key.revoked and not kept.revoked


# --- Staff roles --------------------------------------------------------------------


def test_the_analyst_group_is_created_by_the_migrations_with_view_permissions_only():
    group = Group.objects.get(name="analyst")
    codenames = set(group.permissions.values_list("codename", flat=True))

    assert {"view_customersession", "view_usagelog", "view_commandrun"} <= codenames
    # Models of apps whose migrations came later are covered too (after each migrate).
    assert {
        "view_document",
        "view_documentaccess",
        "view_documentsyncrun",
        "view_usagedaily",
        "view_budget",
        "view_usagealert",
    } <= codenames
    assert all(code.startswith("view_") for code in codenames)


def test_an_analyst_sees_everything(analyst_client, known_data):
    for url in ["/admin/", *[url for url, _make in PAGES]]:
        assert analyst_client.get(url).status_code == 200, url
    page = analyst_client.get(f"/admin/sessions_app/userprofile/{known_data.ann.pk}/change/")
    assert page.status_code == 200


def test_an_analyst_is_offered_export_only_and_a_forged_action_changes_nothing(
    analyst_client, known_data
):
    changelist = "/admin/sessions_app/customersession/"
    actions = analyst_client.get(changelist).context["action_form"].fields["action"].choices
    assert [name for name, _label in actions if name] == ["export_csv"]

    session = CustomerSession.objects.filter(status="active").first()
    analyst_client.post(changelist, {"action": "end_sessions", "_selected_action": [session.pk]})
    user_session = UserSession.objects.filter(status="active").first()
    analyst_client.post(
        "/admin/sessions_app/usersession/",
        {"action": "end_selected", "_selected_action": [user_session.pk]},
    )

    session.refresh_from_db()
    user_session.refresh_from_db()
    assert (session.status, user_session.status) == ("active", "active")


def test_an_analyst_cannot_edit_or_delete(analyst_client, known_data):
    session = CustomerSession.objects.first()
    change = f"/admin/sessions_app/customersession/{session.pk}/change/"

    response = analyst_client.post(change, {"metadata": '{"cart": "changed"}'})
    delete = analyst_client.post(
        f"/admin/sessions_app/customersession/{session.pk}/delete/", {"post": "yes"}
    )

    assert (response.status_code, delete.status_code) == (403, 403)
    session.refresh_from_db()
    assert session.metadata == {}
    role = analyst_client.post(
        f"/admin/sessions_app/userprofile/{known_data.ann.pk}/change/", {"role": "admin"}
    )
    assert role.status_code == 403
    known_data.ann.refresh_from_db()
    assert known_data.ann.role == "user"


def test_non_staff_users_get_the_login_page(client, django_user_model):
    user = django_user_model.objects.create_user("shopper", "s@example.com", "pw")
    client.force_login(user)

    for url in ["/admin/", "/admin/usage/usagelog/", "/admin/admin_panel/commandrun/"]:
        response = client.get(url)
        assert response.status_code == 302 and "/admin/login/" in response["Location"]


# --- A user's page ------------------------------------------------------------------


def test_a_user_page_shows_their_activity(staff_client, known_data, django_assert_num_queries):
    url = f"/admin/sessions_app/userprofile/{known_data.bob.pk}/change/"

    response = staff_client.get(url)
    html = response.content.decode()

    assert 'id="user-activity"' in html
    assert '<span id="user-live-sessions">1</span>' in html
    assert '<span id="user-ai-sessions">1</span>' in html
    assert '<span id="user-usage-calls">2</span>' in html  # one priced, one unpriced
    assert '<span id="user-usage-cost">$0.5000</span>' in html and "1 unpriced" in html
    UserSessionFactory.create_batch(5, user=known_data.bob)
    with django_assert_num_queries(len(_queries(staff_client, url))):
        staff_client.get(url)


def test_a_user_page_shows_their_documents_grants_and_budget(
    staff_client, known_data, django_assert_num_queries
):
    bob = known_data.bob
    DocumentFactory(owner=bob, title="Price list")
    DocumentFactory(owner=bob, title="Old list", status="deleted")
    shared = DocumentFactory(owner=known_data.ann, title="Ann's handbook")
    DocumentAccessFactory(document=shared, user=bob, permission="read")
    Budget.objects.create(user_id=str(bob.pk), name="Bob monthly", limit_usd=Decimal("0.40"))
    url = f"/admin/sessions_app/userprofile/{bob.pk}/change/"

    html = staff_client.get(url).content.decode()

    assert '<span id="user-documents">1</span> (1 ready)' in html
    assert "Price list" in html and "Old list" in html  # the newest ten, deleted shown
    assert '<span id="user-grants">1</span>' in html and "Ann&#x27;s handbook" in html
    # $0.50 this month against $0.40: used up.
    assert "Bob monthly" in html and "$0.4000" in html and "used up" in html
    DocumentFactory.create_batch(12, owner=bob)  # more than the page lists
    for document in DocumentFactory.create_batch(12, owner=known_data.ann):
        DocumentAccessFactory(document=document, user=bob)
    with django_assert_num_queries(len(_queries(staff_client, url))):
        staff_client.get(url)


def _queries(client, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    return captured.captured_queries


def test_command_runs_are_read_only(staff_client):
    run = services.command_run_finish(run=services.command_run_start(command="expire_sessions"))

    assert staff_client.get("/admin/admin_panel/commandrun/add/").status_code == 403
    staff_client.post(f"/admin/admin_panel/commandrun/{run.pk}/delete/", {"post": "yes"})
    assert CommandRun.objects.filter(pk=run.pk).exists()
