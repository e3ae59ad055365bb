"""Demo awards, so that `make run` shows this year's cycle open for nominations: judging
criteria, the usual categories in the sectors that have holders and a team award,
shortlists worked out from the demo's findings and surveys, and the leaders of the
best categories put forward. Everything goes through the services while the cycle is
still being prepared; only then are its dates moved so that nominations are open.

Sharing practice too: two holders' case studies, approved for the library; a beacon,
designated on its compliance-plus findings; a sharing day it hosts and the cycle's
ceremony, both published and open for registration."""

import datetime

from django.utils import timezone

from certification.models import Certificate
from organisations.models import Membership, Organisation, Role, Sector
from standard.selectors import current_standard

from . import beacons, case_studies, events, services
from .models import AwardCycle, Category, Event

CRITERIA = [
    ("Impact on customers", "What changed for customers, and how the service knows.", 3),
    ("Evidence", "Findings, survey results and complaints that show the change.", 2),
    ("Others can learn from it", "Whether other services could take up the practice.", 1),
]

# Holder, author's role, criterion number, elements, title, summary, what they did.
CASE_STUDIES = [
    (
        "Eastbrook Housing Association",
        Role.APPLICANT_EDITOR,
        3,
        ["3.3", "3.4"],
        "Repairs booked and fixed on the first call",
        "Tenants reporting a repair now speak to someone who can diagnose it, book it and "
        "give a time slot in the same call, instead of waiting for a surveyor to ring back.",
        "Our repairs line used to take details and pass them on: a third of tenants rang "
        "again to chase. We trained call handlers with our trades team to diagnose the 40 "
        "most common repairs, gave them the operatives' diaries, and let them book a two-hour "
        "slot while the tenant is on the line. Repairs resolved on the first contact went "
        "from 38% to 71% in a year, repeat calls halved, and satisfaction with timeliness in "
        "our survey rose by eleven points.",
        "Head of Customer Services, Eastbrook Housing Association",
    ),
    (
        "Westmere Police",
        Role.APPLICANT_ADMIN,
        4,
        ["4.3"],
        "Victims told what happens next, every time",
        "Every victim of crime receives a named contact and an update at each stage of the "
        "investigation, by the channel they choose.",
        "Victims told us the worst part was not knowing. We agreed with them what an update "
        "should say, set the points at which one is due (crime recorded, suspect identified, "
        "charge or no further action) and let victims choose text, email, letter or a call. "
        "Updates are prompted by the case system, so they no longer depend on an officer "
        "remembering. Complaints about not being kept informed fell by two thirds.",
        "Victim Care Lead, Westmere Police",
    ),
]


def load() -> None:
    admin = Membership.objects.filter(role=Role.SCHEME_ADMIN).first()
    standard = current_standard()
    if admin is None or standard is None:
        return
    today = timezone.localdate()
    cycle = services.cycle_create(
        membership=admin,
        data=services.CycleInput(
            year=today.year,
            title=f"Customer Voice Awards {today.year}",
            nominations_open=today + datetime.timedelta(days=1),
            nominations_close=today + datetime.timedelta(days=45),
            judging_ends=today + datetime.timedelta(days=90),
        ),
    )
    for title, description, weight in CRITERIA:
        services.judging_criterion_add(
            membership=admin,
            cycle=cycle,
            data=services.JudgingCriterionInput(title, description, weight=weight),
        )
    sectors = list(
        Sector.objects.filter(
            pk__in=Certificate.objects.filter(status=Certificate.Status.ACTIVE).values(
                "holder__sector"
            )
        )
    )
    services.categories_create_usual(membership=admin, cycle=cycle, sectors=sectors)
    for sector in sectors[:2]:
        services.category_create(
            membership=admin,
            cycle=cycle,
            criterion=standard.criteria.get(number=6),
            sector=sector,
            kind=Category.Kind.BEST,
            level=Category.Level.TEAM,
        )
    for category in cycle.categories.filter(level=Category.Level.ORGANISATION):
        candidates = services.shortlist_compute(membership=admin, category=category)
        if candidates and category.kind == Category.Kind.BEST:
            services.candidates_put_forward(
                membership=admin, category=category, candidates=candidates[:1]
            )
    # Nominations opened two weeks ago.
    AwardCycle.objects.filter(pk=cycle.pk).update(
        nominations_open=today - datetime.timedelta(days=14)
    )
    _case_studies(admin, standard)
    beacon = _beacon(admin, standard)
    _events(admin, cycle, host=beacon.organisation if beacon else None)


def _case_studies(admin: Membership, standard) -> None:
    for name, role, number, codes, title, summary, body, contact in CASE_STUDIES:
        author = Membership.objects.filter(organisation__name=name, role=role).first()
        if author is None or not case_studies.is_holder(author.organisation):
            continue
        criterion = standard.criteria.get(number=number)
        draft = case_studies.case_study_create(
            membership=author,
            data=case_studies.CaseStudyInput(
                criterion=criterion,
                elements=list(criterion.elements.filter(code__in=codes)),
                title=title,
                summary=summary,
                body=body,
                contact=contact,
            ),
        )
        case_studies.case_study_submit(membership=author, case_study=draft)
        case_studies.case_study_approve(membership=admin, case_study=draft)


def _beacon(admin: Membership, standard):
    """The first holder, by name, whose latest decided assessment found a criterion's
    elements at compliance plus: a beacon for that criterion."""
    for organisation in beacons.candidate_organisations().order_by("name"):
        for criterion in standard.criteria.order_by("number"):
            grounds = beacons.beacon_grounds(organisation=organisation, criterion=criterion)
            if grounds:
                why = grounds.describe()
                beacon, _grounds = beacons.beacon_designate(
                    membership=admin,
                    organisation=organisation,
                    criterion=criterion,
                    reason=f"{why[:1].upper()}{why[1:]}. It has agreed to host a sharing day "
                    "and to answer other services' questions.",
                )
                return beacon
    return None


def _at(day: datetime.date, hour: int) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def _venue(host: Organisation | None) -> str:
    """The host's central site, where the sharing day is held."""
    site = host.sites.filter(is_central_function=True).first() if host else None
    if site is None:
        return "Civic Centre, Riverside, E1 4AB (step-free access, hearing loop)"
    town = site.address.splitlines()[-1]
    return f"{site.name}, {town}, {site.postcode} (step-free access, hearing loop)"


def _events(admin: Membership, cycle: AwardCycle, *, host: Organisation | None) -> None:
    today = timezone.localdate()
    upcoming = [
        events.EventInput(
            kind=Event.Kind.SHARING_DAY,
            title="Sharing day: what our beacons do differently",
            description="The scheme's beacons show what they changed and how they know it "
            "worked, with time for questions. For anyone who works with customers in a "
            "public service.",
            starts_at=_at(today + datetime.timedelta(days=40), 10),
            location=_venue(host),
            capacity=80,
            host=host,
        ),
        events.EventInput(
            kind=Event.Kind.CEREMONY,
            title=f"{cycle.title}: the ceremony",
            description="The winners and the highly commended of this year's awards are "
            "announced and celebrated.",
            starts_at=_at(cycle.judging_ends + datetime.timedelta(days=21), 18),
            location="Guildhall, Kingsmere, B2 5QT (step-free access)",
            capacity=250,
            cycle=cycle,
        ),
    ]
    for data in upcoming:
        event = events.event_create(membership=admin, data=data)
        events.event_publish(membership=admin, event=event, published=True)
