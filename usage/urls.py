"""Usage routes under ``/api/v1/usage/`` (included at the site root by config/urls.py)."""

from django.urls import path

from usage.apis import views

urlpatterns = [
    path("api/v1/usage/events/", views.UsageEventsApi.as_view(), name="usage-events"),
    path("api/v1/usage/summary/", views.UsageSummaryApi.as_view(), name="usage-summary"),
    path("api/v1/usage/analytics/", views.UsageAnalyticsApi.as_view(), name="usage-analytics"),
    path("api/v1/usage/report.csv", views.UsageReportCsvApi.as_view(), name="usage-report"),
    path("api/v1/usage/budgets/", views.BudgetListCreateApi.as_view(), name="usage-budgets"),
    path("api/v1/usage/budgets/<int:pk>/", views.BudgetDetailApi.as_view(), name="usage-budget"),
    path("api/v1/usage/quota/", views.UsageQuotaApi.as_view(), name="usage-quota"),
    path("api/v1/usage/alerts/", views.UsageAlertListApi.as_view(), name="usage-alerts"),
]
