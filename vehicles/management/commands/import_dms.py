"""import_dms --kind vehicles|owners|visits FILE [--dry-run] [--dealer CODE] [--mapping FILE]"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from config.errors import DomainError
from vehicles.imports.files import mapping_read
from vehicles.imports.services import import_batch_cancel, import_batch_run_now, import_batch_submit
from vehicles.models import ImportBatch, ImportRow


class Command(BaseCommand):
    help = (
        "Import vehicles, owners or workshop visits from a DMS / CRM export (CSV in UTF-8 or Big5, or "
        "XLSX). Every rejected row is listed with its reason; importing the same file again changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--kind", required=True, choices=ImportBatch.Kind.values)
        parser.add_argument("--dry-run", action="store_true", help="check every row, change nothing")
        parser.add_argument("--dealer", default="", help="dealer code for rows that name none")
        parser.add_argument("--mapping", type=Path, help="JSON or two-column CSV: their header -> ours")
        parser.add_argument("--create-models", action="store_true", help="create unknown vehicle models")
        parser.add_argument("--show", type=int, default=1000, help="how many rejected rows to list")

    def handle(
        self,
        *args,
        file: Path,
        kind: str,
        dry_run: bool,
        dealer: str,
        mapping,
        create_models,
        show,
        **options,
    ):
        if not file.is_file():
            raise CommandError(f"no such file: {file}")
        try:
            renames = mapping_read(mapping.read_bytes()) if mapping else None
            with file.open("rb") as stream:
                batch = import_batch_submit(
                    kind=kind,
                    stream=stream,
                    file_name=file.name,
                    dealer_code=dealer,
                    mapping=renames,
                    create_models=create_models,
                    check_now=True,
                )
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        except OSError as exc:
            raise CommandError(str(exc)) from exc
        if dry_run:
            import_batch_cancel(batch=batch)
            self.stdout.write(
                f"dry run: rows {batch.rows_total}, to import {batch.rows_valid}, "
                f"rejected {batch.rows_rejected}"
            )
        else:
            batch = import_batch_run_now(batch_id=batch.pk)
            self.stdout.write(
                f"rows {batch.rows_total}: imported {batch.rows_applied}, unchanged {batch.rows_unchanged}, "
                f"rejected {batch.rows_rejected}"
            )
        rejected = ImportRow.objects.filter(batch=batch, status=ImportRow.Status.REJECTED).order_by(
            "row_number"
        )
        for row in rejected[:show]:
            self.stdout.write(f"  row {row.row_number}: {row.reason}: {row.detail}")
