from django.urls import path

from . import views, views_dashboards, views_peer_groups, views_statistics

app_name = "benchmarking"

urlpatterns = [
    path("peer-groups/", views_peer_groups.peer_groups, name="peer_groups"),
    path(
        "peer-groups/<int:peer_group_pk>/edit/",
        views_peer_groups.peer_group_edit,
        name="peer_group_edit",
    ),
    path(
        "peer-groups/<int:peer_group_pk>/join/",
        views_peer_groups.peer_group_join,
        name="peer_group_join",
    ),
    path(
        "peer-groups/<int:peer_group_pk>/leave/",
        views_peer_groups.peer_group_leave,
        name="peer_group_leave",
    ),
    path("", views.index, name="index"),
    path(
        "organisations/<int:organisation_pk>/",
        views.organisation_report,
        name="organisation",
    ),
    path("dashboards/take-up/", views_dashboards.take_up, name="dashboard_take_up"),
    path(
        "dashboards/certifications/",
        views_dashboards.certifications,
        name="dashboard_certifications",
    ),
    path("dashboards/pipeline/", views_dashboards.pipeline, name="dashboard_pipeline"),
    path("dashboards/satisfaction/", views_dashboards.satisfaction, name="dashboard_satisfaction"),
    path(
        "dashboards/consistency/",
        views_statistics.consistency_dashboard,
        name="dashboard_consistency",
    ),
    path(
        "dashboards/effectiveness/",
        views_statistics.effectiveness_dashboard,
        name="dashboard_effectiveness",
    ),
    path("departments/", views_dashboards.departments, name="departments"),
    path(
        "departments/<int:organisation_pk>/",
        views_dashboards.department,
        name="department",
    ),
]
