from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from standard.services import StandardFileError, read_standard_file, standard_load

DATA_DIR = Path(__file__).resolve().parents[2] / "data"


class Command(BaseCommand):
    help = (
        "Load versions of the standard from their data files (all shipped versions by default). "
        "Safe to run again; a published version is never changed."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="*", help="data files; default: standard/data/*.yaml")

    def handle(self, paths, **options):
        files = [Path(p) for p in paths] or sorted(DATA_DIR.glob("*.yaml"))
        try:
            read = [(path, read_standard_file(path)) for path in files]
            # Older versions first, so a new version can map onto its predecessor.
            read.sort(key=lambda pair: pair[1]["version"])
            for path, data in read:
                standard, outcome = standard_load(path=path, data=data)
                self.stdout.write(f"Standard {standard.version} ({standard.status}): {outcome}.")
        except StandardFileError as exc:
            raise CommandError(str(exc)) from exc
