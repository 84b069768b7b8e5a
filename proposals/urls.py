from django.urls import path

from . import views

app_name = "proposals"
urlpatterns = [
    # Public
    path("proposals/", views.public_list, name="public_list"),
    path("proposals/new/", views.create, name="create"),
    path("proposals/<int:pk>/", views.detail, name="detail"),
    path("proposals/<int:pk>/poster/", views.poster, name="poster"),
    path("proposals/<int:pk>/edit/", views.edit, name="edit"),
    # Steps on a proposal (POST only)
    path("proposals/<int:pk>/submit/", views.submit, name="submit"),
    path("proposals/<int:pk>/return/", views.return_draft, name="return"),
    path("proposals/<int:pk>/withdraw/", views.withdraw, name="withdraw"),
    path("proposals/<int:pk>/follow/", views.follow, name="follow"),
    path("proposals/<int:pk>/group-ballot/", views.group_ballot_open, name="group_ballot_open"),
    path("proposals/<int:pk>/community-ballot/", views.community_ballot_open, name="community_ballot_open"),
    path("proposals/<int:pk>/notice/", views.notice_publish, name="notice_publish"),
    path("proposals/<int:pk>/objections/", views.objection_file, name="objection_file"),
    path("proposals/<int:pk>/submit-to-community/", views.submit_to_community, name="submit_to_community"),
    path("proposals/<int:pk>/rate/", views.rate, name="rate"),
    path("objections/<int:pk>/answer/", views.objection_answer, name="objection_answer"),
    # Residents and group councils
    path("group/", views.my_group, name="my_group"),
    path("group/review/", views.review_queue, name="review_queue"),
    # Ballots
    path("ballots/", views.my_ballots, name="my_ballots"),
    path("ballots/<int:pk>/", views.ballot, name="ballot"),
    path("ballots/<int:pk>/tally/", views.ballot_tally, name="ballot_tally"),
    path("ballots/<int:pk>/confirm/", views.vote_confirm, name="vote_confirm"),
    path("ballots/<int:pk>/vote/", views.vote, name="vote"),
    path("ballots/<int:pk>/close/", views.ballot_close, name="ballot_close"),
    # Council meetings
    path("council/meetings/", views.meetings, name="meetings"),
    path("council/meetings/new/", views.meeting_new, name="meeting_new"),
    path("council/meetings/<int:pk>/", views.meeting_detail, name="meeting_detail"),
    path("council/meetings/<int:pk>/agenda/", views.agenda_add, name="agenda_add"),
    path("council/agenda/<int:pk>/roadshow/", views.roadshow_record, name="roadshow_record"),
    path("council/agenda/<int:pk>/roadshow/questions/", views.roadshow_question, name="roadshow_question"),
]
