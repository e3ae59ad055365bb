"""The public register, under /register/ (and /cy/register/ in Welsh)."""

from django.urls import path

from . import views_register

app_name = "register"

urlpatterns = [
    path("", views_register.index, name="index"),
    path("open-data/certificates.csv", views_register.export_csv, name="export"),
    path("holders/<int:holder_pk>/", views_register.holder, name="holder"),
    path("check/", views_register.check, name="check"),
    path("check/<str:number>/", views_register.check_number, name="check_number"),
    path("committed/", views_register.committed, name="committed"),
    path("certification-bodies/", views_register.bodies, name="bodies"),
]
