from django.urls import path

from . import views

app_name = "organisations"
urlpatterns = [
    path("organisations/", views.directory, name="directory"),
    path("organisations/<int:pk>/", views.detail, name="detail"),
]
