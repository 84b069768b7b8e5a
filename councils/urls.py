from django.urls import path

from . import views

# The staff home and its ballot and notice actions are mounted in this namespace too, from
# proposals/views/staff.py (yishi/urls.py): councils imports nothing from proposals.
app_name = "councils"
urlpatterns = [
    path("staff/residents/", views.residents, name="residents"),
    path("staff/residents/register/", views.resident_register, name="resident_register"),
    path("staff/residents/<int:pk>/verify/", views.residency_verify, name="residency_verify"),
    path("staff/residents/<int:pk>/end/", views.residency_end, name="residency_end"),
    path("staff/seats/", views.seats, name="seats"),
    path("staff/seats/assign/", views.seat_assign, name="seat_assign"),
    path("staff/seats/<int:pk>/end/", views.seat_end, name="seat_end"),
    path("staff/seats/board/", views.board_seat_assign, name="board_seat_assign"),
]
