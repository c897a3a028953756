from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from campaigns.demo.accounts import DEALERS, DEMO_OWNER_PHONES, DEMO_PASSWORD, FINANCE_USER, OPERATIONS_USER
from members.models import Member
from members.phones import phone_national


class Command(BaseCommand):
    help = "Print the URL and the demo log-ins created by seed_demo."

    def add_arguments(self, parser):
        parser.add_argument("--url", default="http://127.0.0.1:8000/")

    def handle(self, *args, url: str, **options):
        url = url if url.endswith("/") else url + "/"
        users = set(get_user_model().objects.values_list("username", flat=True))
        line = "-" * 72
        out = self.stdout.write
        out(line)
        out(f"Service vouchers is running at {url}")
        out(f"  operations back office  {url}admin/")
        out(f"  counter terminal        {url}counter/")
        out(f"  owner portal            {url}portal/")
        out(f"  partner API docs        {url}api/docs/")
        out(line)
        out(f"Demo log-ins (password for every staff user: {DEMO_PASSWORD})")
        if OPERATIONS_USER in users:
            out(f"  operations   {OPERATIONS_USER}")
        if FINANCE_USER in users:
            out(f"  finance      {FINANCE_USER}")
        for code, name, _city, advisor, manager in DEALERS:
            if advisor in users:
                out(f"  advisor      {advisor:<10} at {code} {name}")
            if manager in users:
                out(f"  dealer mgr   {manager:<10} at {code} {name}")
        owners = Member.objects.filter(phone__in=DEMO_OWNER_PHONES).order_by("phone")
        for owner in owners:
            out(f"  owner        {phone_national(owner.phone)}  ({owner.name})")
        out("  (owners sign in with a one-time code; in development it appears in this console)")
        out(line)
