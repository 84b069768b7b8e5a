from django.urls import path

from . import views

app_name = "grants"
urlpatterns = [
    path("micro-grants/", views.calls, name="calls"),
    path("micro-grants/open/", views.call_open, name="open"),
    path("micro-grants/<int:pk>/", views.call_detail, name="call"),
    path("micro-grants/<int:pk>/apply/", views.apply, name="apply"),
    path("micro-grants/<int:pk>/close/", views.close, name="close"),
    path("micro-grants/applications/<int:pk>/score/", views.score, name="score"),
    path("micro-grants/applications/<int:pk>/award/", views.award, name="award"),
    path("micro-grants/awards/<int:pk>/report/", views.report, name="report"),
    path("micro-grants/awards/<int:pk>/accept/", views.accept, name="accept"),
]
