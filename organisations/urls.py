from django.urls import path

from . import views

urlpatterns = [
    path("switch/", views.switch, name="switch"),
    path("organisations/register/", views.organisation_register, name="organisation_register"),
    path("organisations/units/add/", views.unit_add, name="unit_add"),
    path(
        "organisations/<int:organisation_pk>/",
        views.organisation_detail,
        name="organisation_detail",
    ),
    path(
        "organisations/<int:organisation_pk>/edit/",
        views.organisation_edit,
        name="organisation_edit",
    ),
    path("organisations/<int:organisation_pk>/sites/add/", views.site_add, name="site_add"),
    path("organisations/<int:organisation_pk>/people/", views.members, name="members"),
    path("sites/<int:site_pk>/edit/", views.site_edit, name="site_edit"),
    path("sites/<int:site_pk>/delete/", views.site_delete, name="site_delete"),
    path("people/<int:membership_pk>/", views.membership_edit, name="membership_edit"),
    path(
        "invitations/<int:invitation_pk>/withdraw/",
        views.invitation_revoke,
        name="invitation_revoke",
    ),
    path("invitations/accept/<str:token>/", views.invitation_accept, name="invitation_accept"),
    path("scheme/history/", views.scheme_history, name="scheme_history"),
]
