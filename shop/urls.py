from django.urls import path

from . import views

app_name = "shop"

urlpatterns = [
    path("ecpay/notify/", views.ecpay_notify, name="ecpay_notify"),
    path("fake-ecpay/checkout/", views.fake_checkout, name="fake_checkout"),
    path("fake-ecpay/<str:trade_no>/", views.fake_decide, name="fake_decide"),
]
