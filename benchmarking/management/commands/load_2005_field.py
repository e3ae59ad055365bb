from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from benchmarking.field_2005 import already_loaded, load_2005_field


class Command(BaseCommand):
    help = (
        "Load a field shaped like the Charter Mark's in March 2005 (1,452 holders "
        "employing 410,452 people, 7.1% of the sectors' workforce), for the demo and the "
        "benchmarks. Sets the sectors' workforces to 2005-like figures."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even when DEBUG is off (it changes the sectors' workforces).",
        )

    def handle(self, *args, force=False, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "DEBUG is off. This command changes the sectors' workforces and adds "
                "1,452 organisations; use --force if you really mean to."
            )
        if already_loaded():
            raise CommandError("The 2005 field is already loaded.")
        call_command("load_sectors", verbosity=0, stdout=self.stdout)
        call_command("load_standard", verbosity=0, stdout=self.stdout)
        loaded = load_2005_field()
        self.stdout.write(
            f"Loaded the 2005 field: {loaded['holders']:,} holders employing "
            f"{loaded['employees']:,} people, {loaded['certificates']:,} certificates."
        )
