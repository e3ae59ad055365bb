from django.urls import path

from . import views_reports

app_name = "survey_reports"

urlpatterns = [
    path("<int:survey_pk>/start/", views_reports.start, name="start"),
    path("<int:survey_pk>/results.csv", views_reports.results_csv, name="results_csv"),
    path("jobs/<int:job_pk>/", views_reports.job, name="job"),
    path("jobs/<int:job_pk>/download/", views_reports.download, name="download"),
]
