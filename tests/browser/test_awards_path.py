"""An award cycle end to end, as the people involved walk it: the scheme unit sets up the
cycle and its categories and works out a shortlist from the evidence; a holder's
administrator nominates a team, who consent through the emailed link; a panel judges,
one judge declaring a conflict; the chair records the results; the scheme unit publishes
them, and the public reads them on the winners' page and the register. No page visited
has an accessibility failure."""

import datetime
import re

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from awards.models import AwardCycle, CaseStudy, Conflict, Entry, Event, Result, Score
from organisations.models import Role

from ..awards import conftest as awards_fixtures
from ..factories import OrganisationFactory, member
from .conftest import assert_accessible
from .test_certification_path import act_as, fill_date

pytestmark = pytest.mark.browser

# The awards fixtures: certified holders of housing with their findings and scores.
award_sector = awards_fixtures.award_sector
certification_body = awards_fixtures.certification_body
holders = awards_fixtures.holders
make_holder = awards_fixtures.make_holder
timeliness = awards_fixtures.timeliness
move_cycle_to = awards_fixtures.move_cycle_to


@pytest.fixture
def judges(db):
    """Two people outside the field who judge: the first will have a conflict."""
    consultancy = OrganisationFactory(name="Harbour Service Design", sector=None)
    university = OrganisationFactory(name="Lowfield University", sector=None)
    return (
        member(consultancy, Role.APPLICANT_ADMIN, email="ada@harbour.example", full_name="Ada"),
        member(university, Role.APPLICANT_ADMIN, email="ben@lowfield.example", full_name="Ben"),
    )


@pytest.fixture
def sharing(holders, timeliness, scheme):
    """A published case study by the leader and a sharing day, for the public pages."""
    leader = holders["leader"]
    CaseStudy.objects.create(
        organisation=leader.organisation,
        criterion=timeliness,
        title="Repairs booked while the tenant is on the phone",
        summary="Every repair gets a slot in the first call.",
        body="We gave the call centre the repair teams' diaries.",
        status=CaseStudy.Status.APPROVED,
        written_by=leader.admin,
        reviewed_by=scheme[Role.SCHEME_ADMIN],
        published_at=timezone.now(),
    )
    Event.objects.create(
        kind=Event.Kind.SHARING_DAY,
        title="Timeliness sharing day",
        description="Holders show how they cut waiting times.",
        starts_at=timezone.now() + datetime.timedelta(days=40),
        location="Leeds",
        capacity=80,
        host=leader.organisation,
        published=True,
    )


def says(page, text):
    """The page (once it has loaded) shows `text` in its main content."""
    expect(page.locator("main")).to_contain_text(text)


def see(page):
    """The page answered (once it has loaded: a click only starts the navigation), and has
    no accessibility failures."""
    page.wait_for_load_state()
    expect(page.locator("h1")).to_have_count(1)
    assert_accessible(page)


def test_a_cycle_runs_from_categories_to_published_winners(
    page, standard, holders, judges, scheme, sharing, award_sector, timeliness, live_server
):
    admin = scheme[Role.SCHEME_ADMIN]
    year = timezone.localdate().year
    today = timezone.localdate()
    leader, steady = holders["leader"], holders["steady"]

    # The scheme administrator sets up the cycle, a judging criterion and the categories.
    act_as(page, admin, live_server.url)
    page.goto("/")
    page.get_by_role("link", name="Awards", exact=True).click()
    see(page)
    page.get_by_role("link", name="Run the award cycles").click()
    see(page)
    page.get_by_role("link", name="Set up an award cycle").click()
    page.get_by_role("button", name="Save cycle").click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    see(page)
    page.get_by_label("Year", exact=True).first.fill(str(year))
    page.get_by_label("Title").fill(f"Customer Voice Awards {year}")
    fill_date(page, "nominations_open", today + datetime.timedelta(days=14))
    fill_date(page, "nominations_close", today + datetime.timedelta(days=60))
    fill_date(page, "judging_ends", today + datetime.timedelta(days=90))
    page.get_by_role("button", name="Save cycle").click()
    assert page.locator("h1").inner_text() == f"Customer Voice Awards {year}"
    see(page)
    cycle = AwardCycle.objects.get(year=year)

    page.get_by_role("link", name="Add a judging criterion").click()
    see(page)
    page.get_by_label("Title").fill("Impact on customers")
    page.get_by_label("What judges look for").fill("Customers wait less, and say so.")
    page.get_by_label("Weight").fill("3")
    page.get_by_role("button", name="Save criterion").click()
    says(page, "Impact on customers")

    page.get_by_role("link", name="Create the usual categories").click()
    see(page)
    page.get_by_label(award_sector.name, exact=True).check()
    page.get_by_role("button", name="Create the categories").click()
    expect(page.locator("main")).to_contain_text(re.compile(r"\d+ categories have been created"))
    see(page)
    page.get_by_role("link", name="Add a category").click()
    page.get_by_label(str(timeliness), exact=True).check()
    page.get_by_label("Sector", exact=True).select_option(label=award_sector.name)
    page.get_by_label("Best", exact=True).check()
    page.get_by_label("Team", exact=True).check()
    see(page)
    page.get_by_role("button", name="Add category").click()
    assert page.locator("h1").inner_text() == "Best: Timeliness"
    says(page, "Team and individual awards have no shortlist")
    see(page)

    # The shortlist is worked out from the evidence, each candidate with its reasons;
    # only current holders of the sector are on it.
    page.get_by_role("link", name=re.compile("Back to")).click()
    best_row = re.compile(f"{timeliness.title}.*{award_sector.name}.*Best: organisation")
    page.get_by_role("row", name=best_row).get_by_role("link").click()
    page.get_by_role("button", name="Work out the shortlist").click()
    says(page, "The shortlist has been worked out")
    shortlist = page.locator("table", has_text="Why").inner_text()
    assert shortlist.index("Leader Homes") < shortlist.index("Steady Housing")
    for ineligible in ("Suspended Homes", "Lapsed Homes", "Elsewhere Health Trust"):
        assert ineligible not in shortlist
    see(page)
    page.get_by_role("button", name="Put the chosen candidates forward for judging").click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    see(page)
    page.get_by_label("Put forward Leader Homes").check()
    page.get_by_label("Put forward Steady Housing").check()
    page.get_by_role("button", name="Put the chosen candidates forward for judging").click()
    says(page, "2 candidates have been put forward for judging")
    see(page)

    # Nominations open; the leader's administrator nominates a team.
    move_cycle_to(cycle, "nominations")
    act_as(page, leader.admin, live_server.url)
    page.goto("/awards/nominations/")
    see(page)
    page.get_by_role("link", name="Nominate a team or person").click()
    see(page)
    page.get_by_role("button", name="Send the nomination").click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    see(page)
    page.get_by_label(re.compile("Best: Timeliness, .*, Team")).check()
    page.get_by_label("Leader Homes", exact=True).check()
    page.get_by_label("Team or person nominated").fill("The Repairs Desk")
    page.get_by_label("Nominee's email address").fill("repairs.desk@leader-homes.example")
    page.get_by_label("Why they deserve the award").fill(
        "They book every repair during the tenant's first call."
    )
    page.get_by_role("button", name="Send the nomination").click()
    says(page, "We have asked The Repairs Desk for their consent")
    see(page)

    # The nominee consents through the emailed link.
    sent = [m for m in mail.outbox if "repairs.desk@leader-homes.example" in m.to]
    assert len(sent) == 1
    link = re.search(r"https?://\S+(/awards/consent/\S+/)", sent[0].body).group(1)
    page.context.clear_cookies()
    page.goto(link)
    see(page)
    page.get_by_role("button", name="Send your answer").click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    see(page)
    page.get_by_label("Yes, I agree to be nominated").check()
    page.get_by_role("button", name="Send your answer").click()
    assert page.locator(".govuk-panel__title").inner_text() == "Thank you for your answer"
    see(page)
    team_entry = Entry.objects.get(nominee_name="The Repairs Desk")
    assert team_entry.status == Entry.Status.SUBMITTED

    # Judging: a panel of two for the best organisation and the team categories.
    move_cycle_to(cycle, "judging")
    ada, ben = judges
    act_as(page, admin, live_server.url)
    page.goto("/awards/panels/")
    see(page)
    page.get_by_label("Award cycle").select_option(label=str(cycle))
    page.get_by_label("Name of the panel").fill("Timeliness panel")
    page.get_by_role("button", name="Create panel").click()
    says(page, "Panel created")
    see(page)
    page.get_by_label(re.compile(r"Best: Timeliness, .*, Organisation")).check()
    page.get_by_label(re.compile(r"Best: Timeliness, .*, Team")).check()
    page.get_by_role("button", name="Save categories").click()
    says(page, "The panel's categories are saved")
    for person, chair in ((ada, False), (ben, True)):
        page.get_by_label("Email address of the judge").fill(person.user.email)
        if chair:
            page.get_by_label("Chairs the panel").check()
        page.get_by_role("button", name="Add judge").click()
        says(page, f"{person.user} is on the panel")
    see(page)

    # Judge 1 declares a conflict with the leader's entry, and no longer sees it.
    leader_entry = Entry.objects.get(organisation=leader.organisation, nominee_name="")
    act_as(page, ada, live_server.url)
    page.goto("/awards/judging/")
    see(page)
    page.get_by_role("link", name="Timeliness panel").click()
    see(page)
    entries = page.locator("table", has_text="Entries").inner_text()
    assert "Leader Homes" in entries and "Steady Housing" in entries
    page.get_by_role("link", name="Declare a conflict with Leader Homes").click()
    see(page)
    page.get_by_label("Why you have a conflict of interest").fill(
        "I advised Leader Homes on its repairs service last year."
    )
    page.get_by_role("button", name="Declare the conflict").click()
    says(page, "you will not see it again")
    listed = page.locator("table", has_text="Entries").get_by_role("link").all_inner_texts()
    assert "Leader Homes" not in listed
    assert "Steady Housing" in listed and "The Repairs Desk, Leader Homes" in listed
    says(page, "You have declared a conflict with 1 entry")
    see(page)
    response = page.goto(f"/awards/judging/entries/{leader_entry.pk}/")
    assert response.status == 404
    assert Conflict.objects.filter(entry=leader_entry, judge=ada).exists()

    # Judge 2, the chair, scores every entry.
    act_as(page, ben, live_server.url)
    page.goto("/awards/judging/")
    page.get_by_role("link", name="Timeliness panel").click()
    for name, score in (
        ("Leader Homes", "5"),
        ("Steady Housing", "3"),
        ("The Repairs Desk, Leader Homes", "4"),
    ):
        page.get_by_role("link", name=name, exact=True).click()
        see(page)
        page.get_by_role("link", name="Score this entry").click()
        page.get_by_label("Impact on customers", exact=True).fill(score)
        see(page)
        page.get_by_role("button", name="Save scores").click()
        says(page, "Your scores are saved")
    assert Score.objects.filter(judge=ben).count() == 3
    see(page)

    # Judging over, the chair moderates and records the results with reasons.
    move_cycle_to(cycle, "results")
    page.get_by_role("link", name="Moderate the panel's scores and record results").click()
    see(page)
    for entry, reasons in (
        ("Leader Homes", "Every repair booked at first contact, and customers noticed."),
        ("The Repairs Desk", "A team that changed how the whole landlord answers."),
    ):
        page.get_by_role("link", name=f"Record a result for {entry}").click()
        see(page)
        page.get_by_label("Winner", exact=True).check()
        page.get_by_label("Reasons").fill(reasons)
        page.get_by_role("button", name="Record the result").click()
        says(page, f"The result for {entry} is recorded")
    see(page)
    assert Result.objects.filter(place=Result.Place.WINNER).count() == 2

    # The scheme administrator publishes.
    act_as(page, admin, live_server.url)
    page.goto(f"/awards/{year}/results/")
    see(page)
    page.get_by_role("button", name="Publish the results").click()
    says(page, f"The {cycle} results are published")
    assert "Published on" in page.locator(".govuk-inset-text").inner_text()
    see(page)

    # The public read the winners, the register, the case studies and the events.
    page.context.clear_cookies()
    page.goto("/awards/")
    see(page)
    page.get_by_role("link", name=f"Customer Voice Awards {year}").click()
    assert page.url.endswith(f"/awards/{year}/winners/")
    winners = page.locator("main").inner_text()
    assert "Leader Homes" in winners and "The Repairs Desk" in winners
    assert "Every repair booked at first contact" in winners
    assert "Steady Housing" not in winners
    see(page)

    page.goto("/register/")
    page.get_by_label("Search by name").fill("Leader Homes")
    page.get_by_role("button", name="Search").click()
    see(page)
    page.get_by_role("link", name="Leader Homes").first.click()
    awards = page.locator("h2", has_text="Awards").locator("xpath=following-sibling::ul[1]")
    assert "Winner" in awards.inner_text()
    assert "The Repairs Desk" in awards.inner_text()
    see(page)
    assert steady.organisation.name not in awards.inner_text()

    page.goto("/awards/case-studies/")
    see(page)
    page.get_by_role("link", name="Repairs booked while the tenant is on the phone").click()
    see(page)
    page.goto("/awards/events/")
    see(page)
    page.get_by_role("link", name="Timeliness sharing day").click()
    see(page)
