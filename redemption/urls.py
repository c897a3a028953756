"""The counter terminal, under /counter/ (namespace `counter`)."""

from django.urls import path

from . import views

app_name = "counter"

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.CounterLoginView.as_view(), name="login"),
    path("logout/", views.CounterLogoutView.as_view(), name="logout"),
    path("health/", views.health, name="health"),
    path("search/", views.search, name="search"),
    path("today/", views.today, name="today"),
    path("vehicles/<int:vehicle_id>/", views.vehicle_detail, name="vehicle"),
    path("vehicles/<int:vehicle_id>/vouchers/<int:voucher_id>/use/", views.voucher_use, name="use"),
    path("vehicles/<int:vehicle_id>/sell/", views.sale, name="sale"),
    path(
        "vehicles/<int:vehicle_id>/alerts/<int:alert_id>/close/", views.alert_close_view, name="alert_close"
    ),
    path("sales/<str:number>/", views.sale_receipt, name="sale_receipt"),
    path("redemptions/<int:redemption_id>/", views.receipt, name="receipt"),
    path("redemptions/<int:redemption_id>/complete/", views.hold_complete, name="complete"),
    path("redemptions/<int:redemption_id>/cancel/", views.hold_cancel, name="cancel"),
    path("redemptions/<int:redemption_id>/reverse/", views.redemption_reverse_view, name="reverse"),
]
