"""Create a partner API key and print it once: only its hash is stored."""

from django.core.management.base import BaseCommand, CommandError

from redemption.api_keys import ApiKeyInvalid, api_key_create


def _csv(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


class Command(BaseCommand):
    help = "Create an API key for a partner system; the key is printed once and cannot be shown again."

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True, help="unique name, e.g. online-shop")
        parser.add_argument(
            "--scopes", required=True, help="comma-separated, e.g. read,issue,redeem,vehicles,telematics"
        )
        parser.add_argument("--dealers", default="", help="comma-separated dealer codes it may redeem at")
        parser.add_argument("--rate-limit", type=int, default=None, help="requests per minute")
        parser.add_argument("--quiet", action="store_true", help="print only the key (for scripts)")

    def handle(self, *args, **options):
        try:
            created = api_key_create(
                name=options["name"],
                scopes=_csv(options["scopes"]),
                dealer_codes=_csv(options["dealers"]),
                rate_limit_per_minute=options["rate_limit"],
            )
        except ApiKeyInvalid as exc:
            raise CommandError(exc.message) from exc
        if options["quiet"]:
            self.stdout.write(created.plaintext)
            return
        key = created.api_key
        self.stdout.write(f"API key for {key.name} (scopes: {', '.join(key.scopes)}):")
        self.stdout.write(created.plaintext)
        self.stdout.write("Store it now: it is shown only once. Send it as 'Authorization: Bearer <key>'.")
