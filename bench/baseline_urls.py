"""The project's URLs plus the raw-SQL baseline view (bench/baseline.py), the floors of the
partner API and the counter (bench/partner_floor.py, bench/counter_floor.py) and the API redeem's
ceiling (bench/redeem_ceiling_view.py), so that one gunicorn serves them all in the same run.
Selected by `bench.baseline_settings`."""

from django.urls import path

from bench import counter_floor, partner_floor, redeem_ceiling_view
from bench.baseline import PATH, baseline_view
from config.urls import handler500
from config.urls import urlpatterns as project_urlpatterns

urlpatterns = [
    path(PATH, baseline_view, name="bench-baseline"),
    path(partner_floor.PATH, partner_floor.PartnerFloorView.as_view(), name="bench-partner-floor"),
    path(counter_floor.PATH, counter_floor.counter_floor, name="bench-counter-floor"),
    path(
        redeem_ceiling_view.PATH, redeem_ceiling_view.RedeemCeilingView.as_view(), name="bench-redeem-ceiling"
    ),
    *project_urlpatterns,
]

__all__ = ["handler500", "urlpatterns"]
