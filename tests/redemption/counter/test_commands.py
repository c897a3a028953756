"""`manage.py counter_user`: operators create and update counter log-ins."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from members.models import DealerStaff
from redemption.services import counter_account_save, counter_reversal_permission_set

pytestmark = pytest.mark.django_db

STRONG = "Counter-pass-2026!"


def run(*args):
    from io import StringIO

    out = StringIO()
    call_command("counter_user", *args, stdout=out)
    return out.getvalue()


def test_a_new_advisor_without_a_password_exists_but_cannot_sign_in(dealer):
    output = run("sa-new", "--dealer", dealer.code, "--display-name", "SA New")
    user = get_user_model().objects.get(username="sa-new")
    assert not user.has_usable_password()
    staff = DealerStaff.objects.get(user=user)
    assert (staff.dealer, staff.role, staff.display_name) == (dealer, "advisor", "SA New")
    assert "can sign in: no" in output


def test_the_password_comes_from_an_environment_variable(dealer, monkeypatch, client):
    monkeypatch.setenv("COUNTER_PW", STRONG)
    output = run("sa-pw", "--dealer", dealer.code, "--password-env", "COUNTER_PW")
    assert "can sign in: yes" in output
    assert client.login(username="sa-pw", password=STRONG)


def test_a_weak_password_is_refused(dealer, monkeypatch):
    monkeypatch.setenv("COUNTER_PW", "1234")
    with pytest.raises(CommandError):
        run("sa-weak", "--dealer", dealer.code, "--password-env", "COUNTER_PW")
    assert not get_user_model().objects.filter(username="sa-weak").exists()


def test_an_empty_password_variable_is_refused(dealer):
    with pytest.raises(CommandError, match="NOT_SET_ANYWHERE"):
        run("sa-x", "--dealer", dealer.code, "--password-env", "NOT_SET_ANYWHERE")


def test_an_unknown_dealer_is_refused():
    with pytest.raises(CommandError, match="No dealer"):
        run("sa-y", "--dealer", "NOPE")


def test_moving_a_user_and_granting_then_withdrawing_reversal(dealer, other_dealer):
    run("mgr", "--dealer", dealer.code, "--role", "manager", "--can-reverse")
    user = get_user_model().objects.get(username="mgr")
    assert user.has_perm("redemption.reverse_redemption")
    output = run("mgr", "--dealer", other_dealer.code, "--role", "manager", "--cannot-reverse")
    user = get_user_model().objects.get(username="mgr")
    assert not user.has_perm("redemption.reverse_redemption")
    assert DealerStaff.objects.get(user=user).dealer == other_dealer
    assert "may reverse: no" in output


def test_the_permission_service_takes_effect_on_the_same_instance(advisor):
    assert not advisor.has_perm("redemption.reverse_redemption")
    counter_reversal_permission_set(user=advisor, allowed=True)
    assert advisor.has_perm("redemption.reverse_redemption")
    counter_reversal_permission_set(user=advisor, allowed=False)
    assert not advisor.has_perm("redemption.reverse_redemption")


def test_saving_an_account_keeps_an_existing_password(dealer, client):
    counter_account_save(username="keep", dealer=dealer, role="advisor", password=STRONG)
    counter_account_save(username="keep", dealer=dealer, role="manager")
    assert client.login(username="keep", password=STRONG)
