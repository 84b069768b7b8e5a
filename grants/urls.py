from django.urls import path

from . import views

app_name = "grants"
urlpatterns = [
    path("micro-grants/", views.calls, name="calls"),
    path("micro-grants/<int:pk>/", views.call_detail, name="call"),
]
