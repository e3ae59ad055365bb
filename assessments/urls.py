from django.urls import path

from . import views

app_name = "assessments"

urlpatterns = [
    path("", views.index, name="index"),
    path("commitment/", views.commitment, name="commitment"),
    path("actions/<int:action_pk>/", views.action_edit, name="action_edit"),
    path("<int:assessment_pk>/", views.detail, name="detail"),
    path("<int:assessment_pk>/criteria/<slug:slug>/", views.criterion, name="criterion"),
    path("<int:assessment_pk>/elements/<str:code>/", views.element, name="element"),
    path("<int:assessment_pk>/elements/<str:code>/review/", views.review, name="review"),
    path("<int:assessment_pk>/gaps/", views.gaps, name="gaps"),
    path("<int:assessment_pk>/submit/", views.submit, name="submit"),
    path("<int:assessment_pk>/share/", views.share, name="share"),
    path("<int:assessment_pk>/new-version/", views.new_version, name="new_version"),
    path("<int:assessment_pk>/programme/", views.programme, name="programme"),
]
