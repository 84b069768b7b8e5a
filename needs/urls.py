from django.urls import path

from . import views
from . import views_activities as activities

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
    # Activities of service projects (R25).
    path("activities/", activities.calendar, name="activities"),
    path("activities/mine/", activities.mine, name="activities_mine"),
    path("activities/<int:pk>/", activities.detail, name="activity"),
    path("activities/<int:pk>/signup/", activities.signup, name="activity_signup"),
    path("activities/<int:pk>/roster/", activities.roster, name="activity_roster"),
    path("activities/<int:pk>/door/", activities.door_sheet, name="activity_door"),
    path("activities/signups/<int:pk>/cancel/", activities.cancel, name="activity_cancel"),
    path("activities/signups/<int:pk>/checkin/", activities.checkin, name="activity_checkin"),
    path("activities/checkin/<str:token>/", activities.qr_checkin, name="activity_qr_checkin"),
    path("service-projects/<int:pk>/activities/", activities.project_activities, name="project_activities"),
    path("service-projects/<int:pk>/birth-date/", activities.birth_date, name="birth_date_record"),
]
