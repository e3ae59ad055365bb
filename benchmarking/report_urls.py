from django.urls import path

from . import views_reports

app_name = "benchmark_reports"

urlpatterns = [
    path("<int:organisation_pk>/start/", views_reports.start, name="start"),
    path("jobs/<int:job_pk>/", views_reports.job, name="job"),
    path("jobs/<int:job_pk>/download/", views_reports.download, name="download"),
]
