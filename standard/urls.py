from django.urls import path

from . import views

app_name = "standard"

urlpatterns = [
    path("", views.index, name="index"),
    path("compare/", views.compare, name="compare"),
    path("<str:version>/", views.version, name="version"),
    path("<str:version>/criteria/<slug:slug>/", views.criterion, name="criterion"),
    path("<str:version>/elements/<str:code>/", views.element, name="element"),
]
