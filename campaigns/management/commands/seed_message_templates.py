from django.core.management.base import BaseCommand

from campaigns.services import message_templates_seed


class Command(BaseCommand):
    help = "Create the default message templates that are missing (--reset restores every default)."

    def add_arguments(self, parser):
        parser.add_argument("--reset", action="store_true", help="overwrite templates operations edited")

    def handle(self, *args, reset=False, **options):
        created, restored = message_templates_seed(reset=reset)
        self.stdout.write(f"message templates: {created} created, {restored} restored to the default")
