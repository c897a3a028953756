import os

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from members.models import Dealer, DealerStaff
from redemption.services import counter_account_save


class Command(BaseCommand):
    help = (
        "Create or update a counter log-in for a service advisor or dealer manager: its dealer, role, "
        "password (read from an environment variable, never from the command line) and reversal permission."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--dealer", required=True, help="dealer code, e.g. TPE01")
        parser.add_argument("--role", choices=DealerStaff.Role.values, default=DealerStaff.Role.ADVISOR)
        parser.add_argument("--display-name", default="", help="name shown on receipts and lists")
        parser.add_argument(
            "--password-env",
            metavar="VARIABLE",
            help="name of an environment variable holding the new password",
        )
        reversal = parser.add_mutually_exclusive_group()
        reversal.add_argument("--can-reverse", dest="can_reverse", action="store_const", const=True)
        reversal.add_argument("--cannot-reverse", dest="can_reverse", action="store_const", const=False)

    def handle(self, *args, username, dealer, role, display_name, password_env, can_reverse, **options):
        try:
            dealer_obj = Dealer.objects.get(code=dealer)
        except Dealer.DoesNotExist as exc:
            raise CommandError(f"No dealer has the code {dealer!r}.") from exc
        password = None
        if password_env:
            password = os.environ.get(password_env)
            if not password:
                raise CommandError(f"The environment variable {password_env} is empty or not set.")
        try:
            staff = counter_account_save(
                username=username,
                dealer=dealer_obj,
                role=role,
                display_name=display_name,
                password=password,
                can_reverse=can_reverse,
            )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        user = staff.user
        can_sign_in = "yes" if user.has_usable_password() and user.is_active else "no (set a password)"
        may_reverse = "yes" if user.has_perm("redemption.reverse_redemption") else "no"
        self.stdout.write(
            f"{user.get_username()}: {staff.get_role_display()} at {dealer_obj.code} {dealer_obj.name}; "
            f"can sign in: {can_sign_in}; may reverse: {may_reverse}"
        )
