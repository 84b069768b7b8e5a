from django.urls import path

from . import views

app_name = "organisations"
urlpatterns = [
    path("organisations/", views.directory, name="directory"),
    path("organisations/<int:pk>/", views.detail, name="detail"),
    path("organisations/manage/", views.manage, name="manage"),
    path("organisations/register/", views.register, name="register"),
    path("organisations/<int:pk>/activate/", views.activate, name="activate"),
    path("organisations/<int:pk>/incubate/", views.incubate, name="incubate"),
    path("incubations/<int:pk>/graduate/", views.graduate, name="graduate"),
    path("supervision/conflicts/", views.conflicts, name="conflicts"),
]
