"""Sign in and sign out of the counter (Django auth; only dealer staff may sign in)."""

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.urls import reverse_lazy
from django.utils.translation import gettext as _

from ..access import session_mark_active
from ..forms import CounterAuthenticationForm


class CounterLoginView(auth_views.LoginView):
    template_name = "counter/login.html"
    authentication_form = CounterAuthenticationForm
    redirect_authenticated_user = True
    next_page = reverse_lazy("counter:home")

    def form_valid(self, form):
        response = super().form_valid(form)
        session_mark_active(self.request)
        return response


class CounterLogoutView(auth_views.LogoutView):
    next_page = reverse_lazy("counter:login")

    def post(self, request, *args, **kwargs):
        was_signed_in = request.user.is_authenticated
        response = super().post(request, *args, **kwargs)
        if was_signed_in:
            messages.info(request, _("You have signed out."))
        return response
