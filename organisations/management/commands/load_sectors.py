from pathlib import Path

import yaml
from django.core.management.base import BaseCommand
from django.db import transaction

from organisations.models import Sector

DEFAULT_FILE = Path(__file__).resolve().parents[2] / "data" / "sectors.yaml"


class Command(BaseCommand):
    help = "Create the sectors listed in the data file; existing sectors keep their figures."

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", default=str(DEFAULT_FILE))

    @transaction.atomic
    def handle(self, path, **options):
        created = 0
        for row in yaml.safe_load(Path(path).read_text(encoding="utf-8")):
            _, was_created = Sector.objects.get_or_create(
                slug=row["slug"],
                defaults={
                    "name": row["name"],
                    "workforce": row["workforce"],
                    "description": row.get("description", ""),
                },
            )
            created += was_created
        self.stdout.write(f"Sectors: {created} created, {Sector.objects.count()} in all.")
