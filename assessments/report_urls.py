from django.urls import path

from . import views_reports

app_name = "assessment_reports"

urlpatterns = [
    path("<int:assessment_pk>/start/", views_reports.start, name="start"),
    path("<int:assessment_pk>/gap-report.csv", views_reports.csv_download, name="csv"),
    path("jobs/<int:job_pk>/", views_reports.job, name="job"),
    path("jobs/<int:job_pk>/download/", views_reports.download, name="download"),
]
