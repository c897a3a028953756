from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from members.roles import ADVISOR, DEALER_MANAGER, FINANCE, OPERATIONS, groups_setup, user_set_role


class Command(BaseCommand):
    help = (
        "Create or update the back-office groups (Operations, Finance, Dealer manager, Advisor) with their "
        "permissions. Idempotent. --demo-users also puts the demo log-ins in their groups."
    )

    def add_arguments(self, parser):
        parser.add_argument("--demo-users", action="store_true", help="assign ops, finance, mgr-*, sa-*")

    def handle(self, *args, demo_users: bool = False, **options):
        for name, count in groups_setup().items():
            self.stdout.write(f"group {name}: {count} permissions")
        if not demo_users:
            return
        for user in get_user_model().objects.filter(
            username__in=["ops", "finance"]
        ) | get_user_model().objects.filter(username__regex=r"^(mgr|sa)-"):
            name = user.get_username()
            role = {"ops": OPERATIONS, "finance": FINANCE}.get(name) or (
                DEALER_MANAGER if name.startswith("mgr-") else ADVISOR
            )
            user_set_role(user=user, role=role)
            self.stdout.write(f"user {name}: {role}")
