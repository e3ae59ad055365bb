"""Addresses of the hosted survey: `public` for customers (no sign-in), `links` for the
organisation's pages under a survey. Include each with its namespace:

    path("s/", include(hosted_urls.public)),
    path("surveys/<int:survey_pk>/links/", include(hosted_urls.links)),
"""

from django.urls import path

from . import views_hosted as views

public_patterns = [
    path("<str:key>/", views.answer_form, name="form"),
    # Before the invitation route: no token is ever this short word.
    path("<str:key>/thank-you/", views.answer_done, name="done"),
    path("<str:key>/<str:token>/", views.answer_form, name="invitation"),
]

link_patterns = [
    path("", views.link_list, name="list"),
    path("add/", views.link_add, name="add"),
    path("settings/", views.hosted_settings, name="settings"),
    path("<int:link_pk>/qr.svg", views.link_qr_svg, name="qr_svg"),
    path("<int:link_pk>/qr.png", views.link_qr_png, name="qr_png"),
    path("<int:link_pk>/invitations/", views.link_invitations, name="invitations"),
    path("<int:link_pk>/invitations.csv", views.link_invitations_csv, name="invitations_csv"),
]

public = (public_patterns, "hosted_survey")
links = (link_patterns, "survey_links")
