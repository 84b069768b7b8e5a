from django.urls import path

from . import views

app_name = "needs"
urlpatterns = [
    path("needs/", views.ledger, name="ledger"),
    path("needs/new/", views.raise_need, name="raise"),
    path("needs/mine/", views.mine, name="mine"),
    path("needs/overdue/", views.overdue, name="overdue"),
    path("needs/staff/", views.staff_ledger, name="staff"),
    path("needs/staff/record/", views.staff_record, name="staff_record"),
    path("needs/staff/project/", views.staff_project, name="staff_project"),
    path("needs/<int:pk>/support/", views.support, name="support"),
    path("needs/<int:pk>/answer/", views.answer, name="answer"),
    path("service-projects/", views.projects, name="projects"),
    path("service-projects/<int:pk>/", views.project_detail, name="project"),
    path("service-projects/<int:pk>/claim/", views.claim, name="claim"),
    path("service-projects/<int:pk>/service/", views.record_service, name="service"),
    path("service-projects/<int:pk>/complete/", views.complete, name="complete"),
    path("service-projects/<int:pk>/rate/", views.rate, name="rate"),
    path("claims/<int:pk>/confirm/", views.confirm, name="confirm"),
]
