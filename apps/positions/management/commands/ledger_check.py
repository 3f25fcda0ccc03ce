import time

from django.core.management.base import BaseCommand, CommandError

from apps.positions.models import Account, Hold, JournalLine
from apps.positions.selectors import ledger_check


class Command(BaseCommand):
    help = "Prove the books: balanced entries, balances = sum of lines, holds consistent, no negative position."

    def add_arguments(self, parser):
        parser.add_argument("--deep", action="store_true", help="also check every line's balance snapshot")

    def handle(self, *args, **options):
        started = time.monotonic()
        breaches = ledger_check(deep=options["deep"])
        elapsed = time.monotonic() - started
        self.stdout.write(f"accounts {Account.objects.count()}, lines {JournalLine.objects.count()}, "
                          f"holds {Hold.objects.count()} — checked in {elapsed:.2f}s")
        if breaches:
            for b in breaches:
                self.stdout.write(self.style.ERROR(f"  ✗ {b}"))
            raise CommandError(f"ledger_check: {len(breaches)} breach(es)")
        self.stdout.write(self.style.SUCCESS("ledger_check: books balance"))
