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
            # Older versions first, so a new version can map onto its predecessor.
            files.sort(key=lambda f: read_standard_file(f)["version"])
            for path in files:
                standard, outcome = standard_load(path=path)
                self.stdout.write(f"Standard {standard.version} ({standard.status}): {outcome}.")
        except StandardFileError as exc:
            raise CommandError(str(exc)) from exc
