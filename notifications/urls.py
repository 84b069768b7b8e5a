from django.urls import path

from . import views

app_name = "notifications"
urlpatterns = [
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/count/", views.unread_count, name="unread_count"),
    path("inbox/read/", views.mark_read, name="mark_read"),
    path("inbox/settings/", views.preferences, name="preferences"),
]
