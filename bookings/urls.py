"""The counter's booking requests, under /counter/bookings/ (namespace `counter_bookings`)."""

from django.urls import path

from . import counter_views as views

app_name = "counter_bookings"

urlpatterns = [
    path("", views.booking_list, name="list"),
    path("<int:booking_id>/", views.booking_detail, name="detail"),
    path("<int:booking_id>/confirm/", views.booking_confirm_view, name="confirm"),
    path("<int:booking_id>/propose/", views.booking_propose_view, name="propose"),
    path("<int:booking_id>/decline/", views.booking_decline_view, name="decline"),
]
