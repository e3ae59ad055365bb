from django.urls import path

from . import views

app_name = "surveys"

urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.create, name="create"),
    path("<int:survey_pk>/", views.detail, name="detail"),
    path("<int:survey_pk>/edit/", views.edit, name="edit"),
    path("<int:survey_pk>/questions/", views.questions, name="questions"),
    path("questions/<int:question_pk>/remove/", views.question_remove, name="question_remove"),
    path("groups/<int:group_pk>/remove/", views.group_remove, name="group_remove"),
    path("<int:survey_pk>/upload/", views.upload, name="upload"),
    path("imports/<int:import_pk>/", views.import_job, name="import_job"),
    path("imports/<int:import_pk>/columns/", views.import_mapping, name="import_mapping"),
    path("imports/<int:import_pk>/retry/", views.import_retry, name="import_retry"),
    path("imports/<int:import_pk>/errors.csv", views.import_errors_csv, name="import_errors_csv"),
    path("<int:survey_pk>/analysis/", views.analysis_page, name="analysis"),
]
