from django.urls import path

from .views import (
    auth,
    claim,
    personal_data,
    points,
    preferences,
    shop,
    shop_refunds,
    survey,
    vehicles,
    vouchers,
)

app_name = "portal"

urlpatterns = [
    path("", vehicles.home, name="home"),
    path("sign-in/", auth.sign_in, name="sign_in"),
    path("sign-in/code/", auth.sign_in_code, name="sign_in_code"),
    path("sign-in/resend/", auth.sign_in_resend, name="sign_in_resend"),
    path("sign-out/", auth.sign_out, name="sign_out"),
    path("vehicles/bind/", vehicles.vehicle_bind, name="vehicle_bind"),
    path("vehicles/<int:vehicle_id>/", vehicles.vehicle_detail, name="vehicle"),
    path("vehicles/<int:vehicle_id>/history/", vehicles.vehicle_history, name="vehicle_history"),
    path("wallet/", vouchers.wallet, name="wallet"),
    path("vouchers/<int:voucher_id>/", vouchers.voucher_detail, name="voucher"),
    path("vouchers/<int:voucher_id>/activate/", vouchers.voucher_activate_view, name="voucher_activate"),
    path("vouchers/<int:voucher_id>/refund/", vouchers.voucher_refund_view, name="voucher_refund"),
    path("points/", points.points, name="points"),
    path("points/exchange/<int:offer_id>/", points.exchange, name="points_exchange"),
    path("points/exchanges/<int:exchange_id>/cancel/", points.exchange_cancel_view, name="exchange_cancel"),
    path("claim/", claim.claim_centre, name="claim_centre"),
    path("claim/<int:definition_id>/", claim.claim, name="claim"),
    path("preferences/", preferences.preferences, name="preferences"),
    path("shop/", shop.catalogue, name="shop"),
    path("shop/<str:kind>/<slug:code>/", shop.product, name="shop_product"),
    path("orders/", shop.orders, name="orders"),
    path("orders/<str:number>/", shop.order_detail, name="order"),
    path("orders/<str:number>/pay/", shop.order_pay, name="order_pay"),
    path("orders/<str:number>/cancel/", shop.order_cancel_view, name="order_cancel"),
    path("my-data/", personal_data.personal_data, name="personal_data"),
    path(
        "my-data/my-data.json",
        personal_data.personal_data_download,
        {"fmt": "json"},
        name="personal_data_json",
    ),
    path(
        "my-data/my-data-csv.zip",
        personal_data.personal_data_download,
        {"fmt": "csv"},
        name="personal_data_csv",
    ),
    path("my-data/erase/", personal_data.erasure_request, name="erasure_request"),
    path("orders/<str:number>/refund/", shop_refunds.order_refund, name="order_refund"),
    path("survey/<str:token>/", survey.survey, name="survey"),
]
