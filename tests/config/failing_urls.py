"""A URLconf whose one view fails, for the 500 page's Content-Security-Policy test."""

from django.urls import path


def boom(request):
    raise RuntimeError("a view that fails")


urlpatterns = [path("boom/", boom)]
