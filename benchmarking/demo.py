"""Demo benchmarks, so that `make run` shows figures on the benchmark reports and the
scheme's dashboards rather than only "not shown".

A sector figure needs at least the minimum number of organisations (five) with a survey
that meets the method, and the demo's own surveys cover only the organisations that have
an administrator, two at most per sector. So the headquarters of the two corporate
programmes run their units' surveys too: central government (the pensions agency, its
five centres and an employment provider) and housing (a housing association, the
housing group and its four landlords) then have enough for real figures, and the
pensions agency's department dashboard shows its centres' results.

Peer groups are set up in the demo's sectors, and organisations with an administrator
opt in, through the services. Groups this small are suppressed, as they should be: a
group is shown only when it and the rest of its sector each have the minimum.

The refresh runs last, once surveys and certificates exist; the awards demo reads its
scores for the shortlists."""

from datetime import date, timedelta

import numpy as np

from organisations.models import Membership, Organisation, Role, Sector
from surveys.demo import survey_with_responses

from . import services
from .models import Refresh

# Sector slug, name, description, organisations that opt in.
PEER_GROUPS = [
    (
        "central-government",
        "Pensions and benefits",
        "Agencies and centres that pay pensions and benefits and answer claimants.",
        ["Crown Pensions Agency"],
    ),
    (
        "central-government",
        "Employment support",
        "Services that help people into work, run by government or under contract.",
        ["Brightpath Employment Services Ltd"],
    ),
    (
        "housing",
        "Social landlords",
        "Housing associations and council landlords with tenants to serve.",
        ["Eastbrook Housing Association", "Meridian Housing Group"],
    ),
    (
        "local-government",
        "County and unitary councils",
        "Councils that run social care, libraries and registration as well as local services.",
        ["Northshire County Council", "Aberglas County Borough Council"],
    ),
    (
        "health",
        "Community and hospital trusts",
        "NHS trusts running hospitals and community health services.",
        ["Riverside Community Health NHS Trust"],
    ),
]


def load(rng, *, today: date | None = None) -> Refresh | None:
    scheme_admin = Membership.objects.filter(role=Role.SCHEME_ADMIN).first()
    if scheme_admin is None:
        return None
    _unit_surveys(np.random.default_rng(rng.randrange(2**32)), today or date.today())
    _peer_groups(scheme_admin)
    return services.benchmarks_refresh(trigger=Refresh.Trigger.MANUAL)


def _unit_surveys(generator, today: date) -> None:
    """This year's survey of every unit, run by its headquarters' administrator, scattered
    around the headquarters' own results; last year's too for every other unit."""
    admins = (
        Membership.objects.filter(
            role=Role.APPLICANT_ADMIN,
            organisation__kind=Organisation.Kind.APPLICANT,
            organisation__units__isnull=False,
        )
        .distinct()
        .select_related("organisation")
        .order_by("organisation__name")
    )
    for admin in admins:
        programme = generator.normal(0, 0.25)
        for index, unit in enumerate(admin.organisation.units.order_by("name")):
            quality = programme + generator.normal(0, 0.2)
            if index % 2 == 0:
                survey_with_responses(
                    admin,
                    generator,
                    today.year - 1,
                    today - timedelta(days=395),
                    quality - 0.1,
                    organisation=unit,
                )
            survey_with_responses(
                admin, generator, today.year, today - timedelta(days=30), quality, organisation=unit
            )


def _peer_groups(scheme_admin: Membership) -> None:
    sectors = {sector.slug: sector for sector in Sector.objects.all()}
    for slug, name, description, members in PEER_GROUPS:
        if slug not in sectors:
            continue
        group = services.peer_group_create(
            membership=scheme_admin, sector=sectors[slug], name=name, description=description
        )
        for organisation_name in members:
            admin = Membership.objects.filter(
                role=Role.APPLICANT_ADMIN, organisation__name=organisation_name
            ).first()
            if admin is not None:
                services.peer_group_join(membership=admin, peer_group=group)
