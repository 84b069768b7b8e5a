from django.urls import path

from . import views

app_name = "councils"
urlpatterns = [
    path("staff/", views.staff_home, name="staff_home"),
    path("staff/proposals/<int:pk>/ballot/", views.ballot_open, name="ballot_open"),
    path("staff/ballots/<int:pk>/close/", views.ballot_close, name="ballot_close"),
    path("staff/ballots/<int:pk>/proxy-vote/", views.proxy_vote, name="proxy_vote"),
    path("staff/notices/<int:pk>/proxy-objection/", views.proxy_objection, name="proxy_objection"),
    path("staff/residents/", views.residents, name="residents"),
    path("staff/residents/register/", views.resident_register, name="resident_register"),
    path("staff/residents/<int:pk>/verify/", views.residency_verify, name="residency_verify"),
    path("staff/residents/<int:pk>/end/", views.residency_end, name="residency_end"),
    path("staff/seats/", views.seats, name="seats"),
    path("staff/seats/assign/", views.seat_assign, name="seat_assign"),
    path("staff/seats/<int:pk>/end/", views.seat_end, name="seat_end"),
    path("staff/seats/board/", views.board_seat_assign, name="board_seat_assign"),
    path("street/party/", views.party_posts, name="party_posts"),
]
