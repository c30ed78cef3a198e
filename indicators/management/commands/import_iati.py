"""python manage.py import_iati FILE... : IATI activity files become draft agreements."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from indicators.iati.importer import import_files


class Command(BaseCommand):
    help = (
        "Imports IATI 2.03 activity XML files: activities become draft agreements "
        "(re-importing updates them, keyed by the IATI identifier). Prints what was "
        "created and what was skipped, and why."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", help="IATI activity XML files")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Report what would be imported, and keep nothing.",
        )

    def handle(self, *args, files, dry_run, **options):
        sources = []
        for name in files:
            path = Path(name)
            if not path.is_file():
                raise CommandError(f"{name}: no such file")
            sources.append((name, path.read_bytes()))
        reports = import_files(sources, dry_run=dry_run)
        for report in reports:
            for line in report.lines():
                self.stdout.write(line)
        total = sum(
            (report.counts() for report in reports), start=type(reports[0].counts())()
        )
        summary = ", ".join(f"{n} {outcome}" for outcome, n in sorted(total.items()))
        prefix = "Dry run, nothing kept: " if dry_run else ""
        self.stdout.write(self.style.SUCCESS(f"{prefix}{summary or 'no activities'}."))
        if any(report.error for report in reports):
            raise CommandError("Some files could not be read (see above).")
