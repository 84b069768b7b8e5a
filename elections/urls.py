from django.urls import path

from . import views

app_name = "elections"
urlpatterns = [
    path("elections/", views.election_list, name="list"),
    path("elections/<int:pk>/", views.election_detail, name="detail"),
    path("elections/<int:pk>/turnout/", views.election_turnout, name="turnout"),
    path("elections/<int:pk>/notice/", views.election_notice, name="notice"),
    path("elections/<int:pk>/ballot/", views.ballot, name="ballot"),
    path("elections/<int:pk>/ballot/cast/", views.ballot_cast, name="ballot_cast"),
    path("elections/<int:pk>/roll/", views.roll, name="roll"),
    path("elections/<int:pk>/stand/", views.stand, name="stand"),
    path("elections/candidates/<int:pk>/statement/", views.statement, name="statement"),
    path("staff/elections/", views.workbench, name="workbench"),
    path("staff/elections/open/", views.election_open, name="open"),
    path("staff/elections/<int:pk>/", views.manage, name="manage"),
    path("staff/elections/<int:pk>/nominate/", views.nominate, name="nominate"),
    path("staff/elections/<int:pk>/paper/", views.paper_ballot, name="paper_ballot"),
    path("staff/elections/<int:pk>/close/", views.close, name="close"),
    path("staff/elections/<int:pk>/runoff/", views.runoff_open, name="runoff_open"),
]
