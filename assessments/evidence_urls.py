from django.urls import path

from . import views_evidence as views

app_name = "evidence"

urlpatterns = [
    path("", views.evidence_list, name="list"),
    path("add/", views.evidence_add, name="add"),
    path("<int:evidence_pk>/", views.evidence_detail, name="detail"),
    path("<int:evidence_pk>/edit/", views.evidence_edit, name="edit"),
    path("<int:evidence_pk>/delete/", views.evidence_delete, name="delete"),
    path("<int:evidence_pk>/download/", views.evidence_download, name="download"),
]
