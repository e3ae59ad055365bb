from django.urls import path

from . import views, views_engagements

app_name = "certification"

urlpatterns = [
    path("", views.index, name="index"),
    path("apply/", views.apply, name="apply"),
    path("applications/<int:application_pk>/", views.application, name="application"),
    path(
        "applications/<int:application_pk>/plan/",
        views.engagement_create,
        name="engagement_create",
    ),
    path("certificates/<int:certificate_pk>/", views.certificate, name="certificate"),
    path("body/", views.body, name="body"),
    path("body/assessors/<int:membership_pk>/", views.assessor, name="assessor"),
    path("body/conflicts/new/", views.conflict_declare, name="conflict_declare"),
    path("engagements/<int:engagement_pk>/", views_engagements.engagement, name="engagement"),
    path(
        "engagements/<int:engagement_pk>/edit/",
        views_engagements.engagement_edit,
        name="engagement_edit",
    ),
    path("engagements/<int:engagement_pk>/team/", views_engagements.team, name="team"),
    path("engagements/<int:engagement_pk>/plan/", views_engagements.plan_change, name="plan"),
    path("engagements/<int:engagement_pk>/visits/new/", views_engagements.visit, name="visit_add"),
    path(
        "engagements/<int:engagement_pk>/visits/<int:visit_pk>/",
        views_engagements.visit,
        name="visit",
    ),
    path(
        "engagements/<int:engagement_pk>/findings/<str:code>/",
        views_engagements.finding,
        name="finding",
    ),
    path("engagements/<int:engagement_pk>/report/", views_engagements.report, name="report"),
    path("engagements/<int:engagement_pk>/decide/", views_engagements.decide, name="decide"),
    path("engagements/<int:engagement_pk>/fees.csv", views_engagements.fees, name="fees"),
    path("actions/<int:finding_action_pk>/", views_engagements.action, name="action"),
]
