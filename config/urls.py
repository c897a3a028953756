from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView

from members.admin.login import AdminLoginForm

admin.site.site_header = _("Service vouchers — operations")
admin.site.site_title = _("Service vouchers")
admin.site.index_title = _("Operations back office")
admin.site.login_form = AdminLoginForm  # throttled like the counter's log-in

urlpatterns = [
    path("", TemplateView.as_view(template_name="home.html"), name="home"),
    path("i18n/", include("django.conf.urls.i18n")),
    # The Reports section looks and signs in like the admin (reports/views.py wraps admin_view).
    path("admin/reports/", include("reports.urls")),
    path("admin/", admin.site.urls),
    path("counter/bookings/", include("bookings.urls")),
    path("counter/", include("redemption.urls")),
    path("portal/", include("portal.urls")),
    path("api/", include("redemption.api.urls")),
    path("notifications/", include("campaigns.urls")),
    path("payments/", include("shop.urls")),
]

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

# A database that cannot be reached is a 503 with Retry-After, not a 500 (config/unavailable.py).
handler500 = "config.unavailable.server_error"
