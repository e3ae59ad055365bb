from django.urls import path

from . import views_consent, views_reliance

app_name = "reliance"

urlpatterns = [
    path("", views_reliance.index, name="index"),
    path("reliance.csv", views_reliance.csv_export, name="csv"),
    path(
        "organisations/<int:organisation_pk>/",
        views_reliance.organisation,
        name="organisation",
    ),
    path(
        "organisations/<int:organisation_pk>/reliance.csv",
        views_reliance.organisation_csv,
        name="organisation_csv",
    ),
    path("consents/", views_consent.consents, name="consents"),
    path("consents/<int:regulator_pk>/give/", views_consent.consent_give, name="consent_give"),
    path(
        "consents/<int:regulator_pk>/withdraw/",
        views_consent.consent_withdraw,
        name="consent_withdraw",
    ),
]
