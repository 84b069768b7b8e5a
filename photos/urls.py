from django.urls import path

from . import views

app_name = "photos"
urlpatterns = [
    path("photos/<int:pk>/<str:size>.jpg", views.image, name="image"),
    path("photos/<str:kind>/<int:pk>/", views.manage, name="manage"),
    path("photos/<int:pk>/remove/", views.remove, name="remove"),
]
