from django.urls import path

from .views import as_admin_views

app_name = "reports"
index, report_page, report_export = as_admin_views()

urlpatterns = [
    path("", index, name="index"),
    path("<slug:slug>/", report_page, name="report"),
    path("<slug:slug>/export.<str:fmt>", report_export, name="export"),
]
