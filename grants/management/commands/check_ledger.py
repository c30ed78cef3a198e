"""Recompute every stored figure of the ledger from the amounts and list those that
differ: after a bulk load or a hand-made SQL fix, this says whether the totals the site
shows are still the sums of the amounts (exit 1 if any differs, 0 otherwise)."""

from django.core.management.base import BaseCommand, CommandError

from grants import ledger


class Command(BaseCommand):
    help = (
        "Recompute every agreement's totals and every amendment's running totals from "
        "the amounts, and list the stored figures that differ (exit 1 if one does)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--database", default="default", help="The database to check."
        )
        parser.add_argument(
            "--fix",
            action="store_true",
            help="Then store the recomputed figures (in one transaction).",
        )
        parser.add_argument(
            "--limit",
            type=int,
            default=50,
            help="List at most this many differences (all are counted).",
        )

    def handle(self, *args, database, fix, limit, **options):
        count = 0
        for difference in ledger.differences(using=database):
            count += 1
            if count <= limit:
                self.stdout.write(str(difference))
        if count > limit:
            self.stdout.write(f"… and {count - limit} more.")
        if not count:
            self.stdout.write(
                self.style.SUCCESS(
                    "The ledger is true: every stored figure is the sum of its amounts."
                )
            )
            return
        if fix:
            ledger.recompute_all(using=database)
            self.stdout.write(
                self.style.WARNING(
                    f"{count} figures differed; stored the recomputed ones."
                )
            )
            return
        raise CommandError(
            f"{count} stored figures differ from the amounts. Run with --fix to store "
            "the recomputed ones (or find what wrote them)."
        )
