"""The project's URLs plus the raw-SQL baseline view (bench/baseline.py), so that one gunicorn
serves both in the same run. Selected by `bench.baseline_settings`."""

from django.urls import path

from bench.baseline import PATH, baseline_view
from config.urls import handler500
from config.urls import urlpatterns as project_urlpatterns

urlpatterns = [path(PATH, baseline_view, name="bench-baseline"), *project_urlpatterns]

__all__ = ["handler500", "urlpatterns"]
