"""Load an invented demo field so that `make run` shows a living platform.

Every demo account shares DEMO_PASSWORD, which is published in the README: this
data is for local demonstration only and must never reach a real installation.
All names, addresses and people are invented; emails use example.* domains.
"""

import base64
import random

from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal.auth import TOTP
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from organisations.models import (
    TWO_FACTOR_ROLES,
    Organisation,
    Region,
    Role,
    Sector,
    Site,
    User,
)
from organisations.services import membership_create

DEMO_PASSWORD = "customer-voice-demo"  # Demo only: shared by every demo account.
SEED = 2026
SCHEME_UNIT_NAME = "Customer Voice Scheme Unit"  # Marks that the demo is loaded.

Kind = Organisation.Kind
KIND_NAMES = {  # singular, plural
    Kind.SCHEME_UNIT: ("scheme unit", "scheme units"),
    Kind.CERTIFICATION_BODY: ("certification body", "certification bodies"),
    Kind.REGULATOR: ("regulator", "regulators"),
    Kind.APPLICANT: ("applicant", "applicants"),
}
PUBLIC = Organisation.LegalForm.PUBLIC
PRIVATE = Organisation.LegalForm.PRIVATE
THIRD = Organisation.LegalForm.THIRD_SECTOR

# The data tables below are aligned by hand, so the formatter leaves them alone.
# fmt: off

# Region: (invented towns, real postcode areas of that region).
PLACES = {
    Region.NORTH_EAST: (["Ashburn", "Coldwell", "Hartmoor", "Wearby"], ["NE", "DH", "TS"]),
    Region.NORTH_WEST: (["Millbrook", "Ravensford", "Lynthorpe", "Fellside"], ["M", "PR", "BL"]),
    Region.YORKSHIRE: (["Eastbrook", "Dalebury", "Oakthwaite", "Brackenholme"], ["LS", "YO", "HU"]),
    Region.EAST_MIDLANDS: (["Lindenford", "Copperfield", "Sherwell", "Trentbridge"], ["NG", "LE"]),
    Region.WEST_MIDLANDS: (["Kingsmere", "Forgeley", "Hollowbridge", "Ashcombe"], ["B", "CV"]),
    Region.EAST: (["Fenmarket", "Saltmarsh", "Wickhambury", "Broadwater"], ["CB", "NR", "IP"]),
    Region.LONDON: (["Riverside", "Northgate", "Eastwick", "Elmhurst"], ["E", "N", "SE"]),
    Region.SOUTH_EAST: (["Chalkhurst", "Downsbridge", "Westmere", "Harbourside"], ["RG", "BN"]),
    Region.SOUTH_WEST: (["Tamarford", "Seacliff", "Combe Abbas", "Moorcross"], ["BS", "EX", "PL"]),
    Region.WALES: (["Aberglas", "Llanwyn", "Pontmawr", "Cwmderi"], ["CF", "SA", "NP"]),
    Region.SCOTLAND: (["Glenmuir", "Kirkbrae", "Strathlinn", "Inverallan"], ["EH", "G", "KY"]),
    Region.NORTHERN_IRELAND: (["Ballyglen", "Drumlee", "Lisnavar", "Rathkeel"], ["BT"]),
}
STREETS = [
    "High Street", "Station Road", "Church Lane", "Market Place", "Victoria Road", "Mill Lane",
    "Park Road", "Queen Street", "London Road", "Castle Way", "Bridge Street", "Orchard Way",
]
POSTCODE_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"

# Kind of body: sector, employees (min, max), sites (min, max), central site, other sites.
BODIES = {
    "county": ("local-government", (5000, 14000), (6, 12), "County Hall",
               ["Customer Service Centre", "Library", "Registration Office",
                "Adult Social Care Office", "Household Recycling Centre"]),
    "council": ("local-government", (300, 2500), (2, 6), "Civic Centre",
                ["Customer Service Point", "Library", "Leisure Centre", "Housing Office"]),
    "trust": ("health", (3000, 9000), (4, 10), "Trust Headquarters",
              ["Community Hospital", "Health Centre", "Outpatients Clinic", "Minor Injuries Unit"]),
    "ambulance": ("health", (2000, 5000), (5, 12), "Emergency Operations Centre",
                  ["Ambulance Station", "Patient Transport Hub", "Make Ready Centre"]),
    "practice": ("health", (20, 80), (1, 2), "Surgery", ["Branch Surgery"]),
    "transport": ("health", (150, 600), (2, 5), "Operations Centre", ["Patient Transport Depot"]),
    "college": ("education", (250, 1200), (2, 5), "Main Campus",
                ["Campus", "Skills Centre", "Adult Learning Centre"]),
    "adult_ed": ("education", (60, 300), (2, 6), "Head Office",
                 ["Learning Centre", "Community Learning Hub"]),
    "police": ("police", (2500, 7000), (6, 12), "Force Headquarters",
               ["Police Station", "Custody Suite", "Neighbourhood Police Office"]),
    "court": ("courts", (80, 400), (1, 3), "Court Centre",
              ["Tribunal Hearing Centre", "Enquiry Office"]),
    "fire": ("fire-and-rescue", (500, 1600), (5, 12), "Service Headquarters",
             ["Fire Station", "Community Safety Hub", "Training Centre"]),
    "housing": ("housing", (150, 1200), (2, 6), "Head Office",
                ["Neighbourhood Office", "Repairs Depot", "Tenancy Support Hub"]),
    "prison": ("criminal-justice", (350, 800), (1, 2), "Main Establishment", ["Visitors' Centre"]),
    "probation": ("criminal-justice", (80, 300), (2, 5), "Probation Office",
                  ["Reporting Centre", "Approved Premises"]),
    "agency": ("central-government", (800, 5000), (3, 10), "Head Office",
               ["Contact Centre", "Processing Centre", "Service Centre"]),
    "employment": ("central-government", (200, 900), (2, 6), "Head Office",
                   ["Employment Hub", "Jobs and Skills Centre"]),
    "charity": ("third-sector", (15, 250), (1, 4), "Head Office",
                ["Advice Centre", "Drop-in Centre", "Outreach Office"]),
}

# Applicant organisations: name, kind of body, region, legal form.
APPLICANTS = [
    ("Northshire County Council", "county", Region.NORTH_EAST, PUBLIC),
    ("Southdown County Council", "county", Region.SOUTH_EAST, PUBLIC),
    ("Millbrook Borough Council", "council", Region.NORTH_WEST, PUBLIC),
    ("Fenmarket District Council", "council", Region.EAST, PUBLIC),
    ("London Borough of Riverside", "council", Region.LONDON, PUBLIC),
    ("Aberglas County Borough Council", "council", Region.WALES, PUBLIC),
    ("Glenmuir Council", "council", Region.SCOTLAND, PUBLIC),
    ("Ballyglen and Drumlee District Council", "council", Region.NORTHERN_IRELAND, PUBLIC),
    ("Riverside Community Health NHS Trust", "trust", Region.LONDON, PUBLIC),
    ("Dalebury Teaching Hospitals NHS Foundation Trust", "trust", Region.YORKSHIRE, PUBLIC),
    ("Coastal Counties Ambulance Service NHS Trust", "ambulance", Region.SOUTH_WEST, PUBLIC),
    ("Kingsmere Road Medical Practice", "practice", Region.WEST_MIDLANDS, PRIVATE),
    ("Harbourside Patient Transport Ltd", "transport", Region.SOUTH_EAST, PRIVATE),
    ("Lindenford College", "college", Region.EAST_MIDLANDS, PUBLIC),
    ("Saltmarsh and Broadwater College", "college", Region.EAST, PUBLIC),
    ("Seacliff Adult Education Service", "adult_ed", Region.SOUTH_WEST, PUBLIC),
    ("Westmere Police", "police", Region.SOUTH_EAST, PUBLIC),
    ("Mid Pennine Police", "police", Region.NORTH_WEST, PUBLIC),
    ("Tamarford Combined Court Centre", "court", Region.SOUTH_WEST, PUBLIC),
    ("Kirkbrae Sheriff Court", "court", Region.SCOTLAND, PUBLIC),
    ("Northshire Fire and Rescue Service", "fire", Region.NORTH_EAST, PUBLIC),
    ("Forgeley and Kingsmere Fire and Rescue Service", "fire", Region.WEST_MIDLANDS, PUBLIC),
    ("Eastbrook Housing Association", "housing", Region.YORKSHIRE, THIRD),
    ("Northgate Homes", "housing", Region.LONDON, PUBLIC),
    ("Llanwyn Housing Association", "housing", Region.WALES, THIRD),
    ("HMP Hollowbridge", "prison", Region.WEST_MIDLANDS, PUBLIC),
    ("Keystone Custodial Services Ltd", "prison", Region.EAST_MIDLANDS, PRIVATE),
    ("Sherwell Probation Delivery Unit", "probation", Region.EAST_MIDLANDS, PUBLIC),
    ("Small Business Support Agency", "agency", Region.NORTH_WEST, PUBLIC),
    ("Brightpath Employment Services Ltd", "employment", Region.YORKSHIRE, PRIVATE),
    ("Copperfield Citizens Advice", "charity", Region.EAST_MIDLANDS, THIRD),
    ("Ashburn Carers' Centre", "charity", Region.NORTH_EAST, THIRD),
    ("Strathlinn Community Support", "charity", Region.SCOTLAND, THIRD),
    ("Rathkeel Family Support Network", "charity", Region.NORTHERN_IRELAND, THIRD),
]

# Corporate programmes: headquarters (as above), then its units (name, region).
PROGRAMMES = [
    (("Crown Pensions Agency", "agency", Region.LONDON, PUBLIC), [
        ("Crown Pensions Agency: Ashburn Pension Centre", Region.NORTH_EAST),
        ("Crown Pensions Agency: Ravensford Pension Centre", Region.NORTH_WEST),
        ("Crown Pensions Agency: Pontmawr Pension Centre", Region.WALES),
        ("Crown Pensions Agency: Inverallan Pension Centre", Region.SCOTLAND),
        ("Crown Pensions Agency: Fenmarket Contact Centre", Region.EAST),
    ]),
    (("Meridian Housing Group", "housing", Region.WEST_MIDLANDS, THIRD), [
        ("Meridian Homes Kingsmere", Region.WEST_MIDLANDS),
        ("Meridian Homes Lindenford", Region.EAST_MIDLANDS),
        ("Meridian Homes Dalebury", Region.YORKSHIRE),
        ("Meridian Supported Living", Region.WEST_MIDLANDS),
    ]),
]

# Other organisations: name, kind, sector slug (regulators only), region, employees.
CERTIFICATION_BODIES = [
    ("Kestrel Certification Ltd", Region.WEST_MIDLANDS, 85),
    ("Beacon Standards Assessment Ltd", Region.SOUTH_EAST, 120),
    ("Thistle and Rose Certification", Region.SCOTLAND, 40),
]
REGULATORS = [
    ("Health Services Quality Commission", "health", Region.LONDON, 2900),
    ("Inspectorate of Community Safety", "police", Region.LONDON, 650),
    ("Social Housing Standards Authority", "housing", Region.WEST_MIDLANDS, 240),
]

# People: email, full name, organisation, role. One person appears twice, to show the
# organisation switcher.
PEOPLE = [
    ("admin@customervoice.example.gov.uk", "Priya Shah", SCHEME_UNIT_NAME, Role.SCHEME_ADMIN),
    ("analyst@customervoice.example.gov.uk", "Tom Whitfield", SCHEME_UNIT_NAME,
     Role.SCHEME_ANALYST),
    ("manager@kestrel-certification.example.com", "Helen Marsh", "Kestrel Certification Ltd",
     Role.CB_MANAGER),
    ("assessor1@kestrel-certification.example.com", "David Osei", "Kestrel Certification Ltd",
     Role.ASSESSOR),
    ("assessor2@kestrel-certification.example.com", "Fiona Campbell",
     "Kestrel Certification Ltd", Role.ASSESSOR),
    ("manager@beacon-standards.example.com", "Rajesh Patel", "Beacon Standards Assessment Ltd",
     Role.CB_MANAGER),
    ("assessor1@beacon-standards.example.com", "Claire Hughes",
     "Beacon Standards Assessment Ltd", Role.ASSESSOR),
    ("manager@thistle-rose.example.com", "Morag Sinclair", "Thistle and Rose Certification",
     Role.CB_MANAGER),
    ("assessor1@thistle-rose.example.com", "Gareth Llewellyn", "Thistle and Rose Certification",
     Role.ASSESSOR),
    ("inspector@health-quality.example.gov.uk", "Ruth Adeyemi",
     "Health Services Quality Commission", Role.REGULATOR),
    ("inspector@community-safety.example.gov.uk", "Mark Brennan",
     "Inspectorate of Community Safety", Role.REGULATOR),
    ("inspector@housing-standards.example.gov.uk", "Joanne Price",
     "Social Housing Standards Authority", Role.REGULATOR),
    ("admin@northshire.example.gov.uk", "Susan Armstrong", "Northshire County Council",
     Role.APPLICANT_ADMIN),
    ("editor@northshire.example.gov.uk", "Liam Robson", "Northshire County Council",
     Role.APPLICANT_EDITOR),
    ("sam.okafor@northshire.example.gov.uk", "Sam Okafor", "Northshire County Council",
     Role.INTERNAL_ASSESSOR),
    ("sam.okafor@northshire.example.gov.uk", "Sam Okafor", "Northshire Fire and Rescue Service",
     Role.INTERNAL_ASSESSOR),
    ("admin@riverside-health.example.gov.uk", "Anjali Mehta",
     "Riverside Community Health NHS Trust", Role.APPLICANT_ADMIN),
    ("admin@eastbrook-housing.example.org", "Karen Holroyd", "Eastbrook Housing Association",
     Role.APPLICANT_ADMIN),
    ("editor@eastbrook-housing.example.org", "Imran Hussain", "Eastbrook Housing Association",
     Role.APPLICANT_EDITOR),
    ("admin@westmere-police.example.gov.uk", "Chris Tanner", "Westmere Police",
     Role.APPLICANT_ADMIN),
    ("admin@aberglas.example.gov.uk", "Rhys Evans", "Aberglas County Borough Council",
     Role.APPLICANT_ADMIN),
    ("admin@crown-pensions.example.gov.uk", "Daniel Fraser", "Crown Pensions Agency",
     Role.APPLICANT_ADMIN),
    ("nia.roberts@crown-pensions.example.gov.uk", "Nia Roberts",
     "Crown Pensions Agency: Pontmawr Pension Centre", Role.INTERNAL_ASSESSOR),
    ("admin@meridian-housing.example.org", "Olivia Grant", "Meridian Housing Group",
     Role.APPLICANT_ADMIN),
    ("admin@copperfield-advice.example.org", "Grace Whitehead", "Copperfield Citizens Advice",
     Role.APPLICANT_ADMIN),
    ("admin@brightpath.example.com", "Ben Carter", "Brightpath Employment Services Ltd",
     Role.APPLICANT_ADMIN),
]
# fmt: on


class Command(BaseCommand):
    help = (
        "Load an invented demo field (organisations, sites, people) for local demonstration. "
        f"Every demo account uses the password {DEMO_PASSWORD!r}. Safe to run twice."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even when DEBUG is off (the demo accounts share a published password).",
        )

    def handle(self, *args, force=False, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "DEBUG is off. The demo accounts share a published password, so load_demo "
                "refuses to run; use --force if you really mean to."
            )
        sectors = {sector.slug: sector for sector in Sector.objects.all()}
        if not sectors:
            raise CommandError("No sectors found: run `python manage.py load_sectors` first.")
        missing = {body[0] for body in BODIES.values()} - set(sectors)
        if missing:
            raise CommandError(f"Sectors missing: {', '.join(sorted(missing))}. Run load_sectors.")

        if Organisation.objects.filter(name=SCHEME_UNIT_NAME, kind=Kind.SCHEME_UNIT).exists():
            self.stdout.write("The demo data is already loaded; nothing was created.")
        else:
            taken = User.objects.filter(email__in={row[0] for row in PEOPLE})
            if taken.exists():
                raise CommandError(
                    "Some demo email addresses are already in use (for example "
                    f"{taken.first().email}). Reset the database before loading the demo."
                )
            with transaction.atomic():
                Loader(sectors, random.Random(SEED)).load()
            self.stdout.write(self.style.SUCCESS("Demo data loaded."))
        self.print_credentials()
        self.print_counts()

    def print_credentials(self):
        rows = [("Role", "Organisation", "Email", "Two-factor")]
        for email, _name, organisation, role in PEOPLE:
            needs = "run: python manage.py totp_code EMAIL" if role in TWO_FACTOR_ROLES else "no"
            rows.append((Role(role).label, organisation, email, needs))
        widths = [max(len(str(row[i])) for row in rows) for i in range(4)]
        self.stdout.write("")
        for number, row in enumerate(rows):
            self.stdout.write(
                "  ".join(str(cell).ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
            )
            if number == 0:
                self.stdout.write("  ".join("-" * w for w in widths))
        self.stdout.write(f"\nPassword for every demo account: {DEMO_PASSWORD} (demo only)\n")

    def print_counts(self):
        counts = {kind: Organisation.objects.filter(kind=kind).count() for kind in KIND_NAMES}
        kinds = ", ".join(f"{n} {KIND_NAMES[kind][n != 1]}" for kind, n in counts.items())
        self.stdout.write(
            f"Organisations: {kinds}; sites: {Site.objects.count()}; users: {User.objects.count()}."
        )


class Loader:
    """Creates the demo field; every random choice comes from one seeded generator."""

    def __init__(self, sectors, rng):
        self.sectors = sectors
        self.rng = rng
        self.organisations = {}

    def load(self):
        self.organisation(
            SCHEME_UNIT_NAME, Kind.SCHEME_UNIT, region=Region.LONDON, employee_count=18
        )
        for name, region, employees in CERTIFICATION_BODIES:
            self.organisation(
                name,
                Kind.CERTIFICATION_BODY,
                region=region,
                legal_form=PRIVATE,
                employee_count=employees,
            )
        for name, sector, region, employees in REGULATORS:
            self.organisation(
                name,
                Kind.REGULATOR,
                sector=self.sectors[sector],
                region=region,
                employee_count=employees,
            )
        for row in APPLICANTS:
            self.applicant(*row)
        for headquarters_row, units in PROGRAMMES:
            headquarters = self.applicant(*headquarters_row)
            body, legal_form = headquarters_row[1], headquarters_row[3]
            for name, region in units:
                self.applicant(name, body, region, legal_form, parent=headquarters)
        self.people()
        self.self_assessments()
        self.surveys()
        self.certification()
        self.benchmarks()
        self.awards()

    def self_assessments(self):
        from assessments import demo
        from standard.selectors import current_standard

        if current_standard() is None:
            return  # no standard loaded yet: nothing to assess against
        demo.load(
            self.rng,
            in_progress="Northshire County Council",
            submitted="Riverside Community Health NHS Trust",
            shared_with=self.organisations[CERTIFICATION_BODIES[0][0]],
            headquarters="Crown Pensions Agency",
        )

    def surveys(self):
        from standard.selectors import current_standard
        from surveys import demo

        if current_standard() is not None:
            demo.load(self.rng)

    def certification(self):
        from certification import demo
        from standard.selectors import current_standard

        if current_standard() is not None:
            demo.load(self.rng, self.organisations)

    def benchmarks(self):
        from benchmarking import demo
        from standard.selectors import current_standard

        if current_standard() is not None:
            demo.load(self.rng)  # after surveys and certificates: it works out the figures

    def awards(self):
        from awards import demo

        demo.load()

    def organisation(self, name, kind, **fields):
        organisation = Organisation(name=name, kind=kind, **fields)
        organisation.full_clean()
        organisation.save()
        self.organisations[name] = organisation
        return organisation

    def applicant(self, name, body, region, legal_form, parent=None):
        organisation = self.organisation(
            name,
            Kind.APPLICANT,
            sector=self.sectors[BODIES[body][0]],
            region=region,
            legal_form=legal_form,
            parent=parent,
        )
        organisation.employee_count = sum(self.sites(organisation, body))
        organisation.save(update_fields=["employee_count"])
        return organisation

    def sites(self, organisation, body):
        """Create the organisation's sites; returns their employee counts."""
        _sector, (low, high), (fewest, most), central, others = BODIES[body]
        towns, _areas = PLACES[organisation.region]
        employees = self.rng.randint(low, high)
        places = [(town, f"{town} {other}") for town in towns for other in others]
        self.rng.shuffle(places)
        home = next((t for t in towns if t in organisation.name), None) or self.rng.choice(towns)
        places = [(home, central)] + places[: self.rng.randint(fewest, most) - 1]
        weights = [self.rng.randint(2, 10) for _ in places]
        weights[0] = 2 * max(weights)  # the central function is the largest site
        counts = [max(1, employees * weight // sum(weights)) for weight in weights]
        for index, (town, name) in enumerate(places):
            site = Site(
                organisation=organisation,
                name=name,
                region=organisation.region,
                address=f"{self.rng.randint(1, 240)} {self.rng.choice(STREETS)}\n{town}",
                postcode=self.postcode(organisation.region, towns.index(town)),
                employee_count=counts[index],
                is_central_function=index == 0,
            )
            site.full_clean()
            site.save()
        return counts

    def postcode(self, region, town_index):
        areas = PLACES[region][1]
        area = areas[town_index % len(areas)]  # each town keeps to one postcode area
        letters = "".join(self.rng.choice(POSTCODE_LETTERS) for _ in range(2))
        return f"{area}{self.rng.randint(1, 8)} {self.rng.randint(1, 9)}{letters}"

    def people(self):
        password = make_password(DEMO_PASSWORD)  # hashed once: every demo account shares it
        users = {}
        for email, full_name, organisation, role in PEOPLE:
            user = users.get(email)
            if user is None:
                user = users[email] = User.objects.create(
                    email=email, full_name=full_name, password=password
                )
                EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
            membership_create(user=user, organisation=self.organisations[organisation], role=role)
        for user in users.values():
            if user.memberships.filter(role__in=TWO_FACTOR_ROLES).exists():
                TOTP.activate(user, self.totp_secret())

    def totp_secret(self):
        """Base32 of 20 bytes, as allauth's generate_totp_secret() makes, but seeded."""
        return base64.b32encode(self.rng.randbytes(20)).decode("ascii")
