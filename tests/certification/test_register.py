"""The public register: search with counts, a holder's page, the certificate check, the
organisations committed to the standard, the certification bodies and the open data."""

import csv
import datetime
import io
import time

import pytest
from dateutil.relativedelta import relativedelta
from django.urls import reverse

from assessments.services import commitment_make, commitment_withdraw
from certification import decisions, register
from certification.models import Certificate, CertificateEvent, Engagement
from certification.register import State, standing_of
from certification.views_register import PAGE_RATE
from organisations.models import Organisation, Role

from ..factories import OrganisationFactory, SectorFactory, UserFactory
from .conftest import accredit, certify, open_engagement, record_all_findings

TODAY = datetime.date.today()
HYPERLINK = '=HYPERLINK("http://evil.example/steal","Click for details")'


@pytest.fixture
def bodies(db):
    """Two accredited certification bodies."""
    made = []
    for name in ("Kestrel Certification", "Osprey Assurance"):
        body = OrganisationFactory(
            name=name, kind=Organisation.Kind.CERTIFICATION_BODY, sector=None, region=""
        )
        accredit(body)
        made.append(body)
    return made


@pytest.fixture
def field(db, standard, bodies):
    """A register of six certificates across two sectors, two regions, two bodies and
    three statuses, made directly (the register only reads them)."""
    health = SectorFactory(slug="health", name="Health")
    housing = SectorFactory(slug="housing", name="Housing")
    kestrel, osprey = bodies
    rows = [
        ("Northshire County Council", housing, "north-east", kestrel, "active"),
        ("Northbay Health Trust", health, "north-east", kestrel, "active"),
        ("Southport Housing Association", housing, "south-west", osprey, "active"),
        ("Westmere Hospital", health, "south-west", osprey, "suspended"),
        ("Eastleigh Homes", housing, "south-west", kestrel, "withdrawn"),
        ("Norwood Clinic", health, "north-east", osprey, "active"),
    ]
    return {name: make_certificate(name, *rest, standard=standard) for name, *rest in rows}


def make_certificate(name, sector, region, body, status, *, standard, number=None):
    holder = OrganisationFactory(name=name, sector=sector, region=region)
    user = UserFactory()
    application = holder.certification_applications.create(
        certification_body=body, status="accepted", submitted_by=user
    )
    certificate = Certificate.objects.create(
        number=number or f"CV-2026-{holder.pk:06d}",
        holder=holder,
        certification_body=body,
        application=application,
        holder_name=name,
        holder_sector=sector,
        holder_region=region,
        main_site_address="1 High Street\nTownsville",
        scope=f"The whole of {name}",
        standard=standard,
        status=status,
        original_issue_date=TODAY,
        issue_date=TODAY,
        next_review_due=TODAY + relativedelta(months=12),
        cycle_expires=TODAY + relativedelta(years=3),
        status_changed_on=TODAY,
    )
    CertificateEvent.objects.create(
        certificate=certificate,
        kind=CertificateEvent.Kind.ISSUED,
        happened_on=TODAY,
        status_after=status,
        next_review_due=certificate.next_review_due,
    )
    return certificate


def search(client, **params):
    response = client.get(reverse("register:index"), params)
    assert response.status_code == 200
    return response


def names_in(response):
    return [row.holder_name for row in response.context["result"].rows]


def facet(response, name):
    found = next(f for f in response.context["result"].facets if f.name == name)
    return {option.label: option.count for option in found.options}


# Searching ----------------------------------------------------------------------------


def test_anyone_reads_the_register_without_signing_in(client, field):
    response = search(client)

    body = response.content.decode()
    assert "Northshire County Council" in body
    assert field["Northshire County Council"].number in body
    assert "Kestrel Certification" in body
    assert response.context["result"].total == 6


def test_a_search_finds_holders_by_part_of_their_name_whatever_the_case(client, field):
    assert names_in(search(client, q="HEALTH")) == ["Northbay Health Trust"]
    assert names_in(search(client, q="county coun")) == ["Northshire County Council"]


def test_one_or_two_letters_find_names_that_start_with_them(client, field):
    assert names_in(search(client, q="no")) == [
        "Northbay Health Trust",
        "Northshire County Council",
        "Norwood Clinic",
    ]


def test_filters_narrow_by_sector_region_body_and_status(client, field, bodies):
    assert names_in(search(client, sector="health", status="active")) == [
        "Northbay Health Trust",
        "Norwood Clinic",
    ]
    assert names_in(search(client, region="south-west", body=bodies[0].pk)) == ["Eastleigh Homes"]


def test_each_choice_counts_what_it_would_find_with_the_other_filters_kept(client, field):
    response = search(client, sector="health")

    assert response.context["result"].total == 3
    # Sector counts ignore the sector chosen, so the reader sees what another would give.
    assert facet(response, "sector") == {"Health": 3, "Housing": 3}
    assert facet(response, "status") == {"Valid": 2, "Suspended": 1}
    assert facet(response, "region") == {"North East": 2, "South West": 1}
    assert facet(response, "body") == {"Kestrel Certification": 1, "Osprey Assurance": 2}


def test_choices_count_within_a_name_search(client, field):
    response = search(client, q="north", status="active")

    assert names_in(response) == ["Northbay Health Trust", "Northshire County Council"]
    assert facet(response, "status") == {"Valid": 2}
    assert facet(response, "sector") == {"Health": 1, "Housing": 1}


def test_values_that_are_not_choices_are_ignored(client, field):
    response = search(client, sector="no-such-sector", region="atlantis", status="bogus", page="x")
    assert response.context["result"].total == 6


def test_pages_of_results_keep_the_search(client, standard, bodies):
    sector = SectorFactory(slug="health", name="Health")
    for n in range(register.PAGE_SIZE + 5):
        make_certificate(
            f"Clinic {n:02d}", sector, "london", bodies[0], "active", standard=standard
        )

    first = search(client, q="clinic", sector="health")
    assert len(first.context["result"].rows) == register.PAGE_SIZE
    assert first.context["next_url"] == "/register/?q=clinic&sector=health&page=2"
    second = search(client, q="clinic", sector="health", page=2)
    assert names_in(second) == [f"Clinic {n:02d}" for n in range(20, 25)]
    assert "Page 2 of 2" in second.content.decode()


def test_a_change_to_a_certificate_shows_at_once(client, alpha, certificate, body):
    assert facet(search(client), "status") == {"Valid": 1}

    decisions.decision_on_certificate(
        membership=body.deputy, certificate=certificate, kind="suspend", reasons="Complaints."
    )

    response = search(client)
    assert facet(response, "status") == {"Suspended": 1}
    assert response.context["result"].rows[0].standing.state == State.SUSPENDED


def test_the_register_is_offered_in_welsh(client, field):
    response = client.get("/cy/register/")
    assert response.status_code == 200
    assert '<html lang="cy"' in response.content.decode()


def test_everyone_finds_the_register_in_the_navigation(client, alpha, login):
    assert (
        'href="/register/"' in client.get(reverse("standard:index"), follow=True).content.decode()
    )
    signed_in = login(alpha[Role.APPLICANT_ADMIN])
    assert 'href="/register/"' in signed_in.get(reverse("home")).content.decode()


@pytest.fixture
def one_window(monkeypatch):
    """The rate limit's counting window does not roll over during the test."""
    from django_ratelimit import core

    end = int(time.time()) + 3600
    monkeypatch.setattr(core, "_get_window", lambda value, period: end)


def test_pages_are_rate_limited_per_address(client, standard, one_window):
    allowed = int(PAGE_RATE.split("/")[0])
    for _n in range(allowed):
        assert client.get(reverse("register:index")).status_code == 200
    assert client.get(reverse("register:index")).status_code == 429
    assert client.get(reverse("register:index"), REMOTE_ADDR="192.0.2.7").status_code == 200


# A holder's page ----------------------------------------------------------------------


def test_a_holders_page_shows_its_certificate_and_its_history(client, alpha, certificate, body):
    decisions.decision_on_certificate(
        membership=body.deputy, certificate=certificate, kind="suspend", reasons="Private reasons."
    )

    response = client.get(reverse("register:holder", args=[alpha.applicant.pk]))

    body_text = response.content.decode()
    assert response.status_code == 200
    assert certificate.number in body_text
    assert "The whole of Alpha Borough Council" in body_text
    assert "the holder may not display the mark" in body_text
    kinds = [event.kind for event in response.context["page"].current.events]
    assert kinds == [CertificateEvent.Kind.SUSPENDED, CertificateEvent.Kind.ISSUED]
    # What the certification body keeps to itself stays off the register.
    assert "Private reasons." not in body_text
    assert "Seen at" not in body_text  # findings' notes


def test_a_holders_page_lists_its_elements_at_compliance_plus(client, alpha, engagement, body):
    record_all_findings(engagement, body, rating="compliance_plus", gaps={"2.1"})
    certify(engagement, body)

    page = client.get(reverse("register:holder", args=[alpha.applicant.pk])).context["page"]

    codes = [element.code for element in page.compliance_plus]
    assert "1.1" in codes
    assert "2.1" not in codes


def test_a_later_review_rating_an_element_lower_takes_it_off_the_list(
    client, alpha, application, engagement, body
):
    record_all_findings(engagement, body, rating="compliance_plus")
    certify(engagement, body)
    review = open_engagement(application, body, Engagement.Kind.ANNUAL_REVIEW)
    reviewed = set(review.findings.values_list("element__code", flat=True))
    record_all_findings(review, body, rating="compliant")
    certify(review, body)

    page = client.get(reverse("register:holder", args=[alpha.applicant.pk])).context["page"]

    codes = {element.code for element in page.compliance_plus}
    assert reviewed and not (codes & reviewed)
    assert codes


def test_an_organisation_with_no_certificate_or_commitment_has_no_page(client, alpha, beta):
    for pk in (beta.applicant.pk, alpha.certification_body.pk, 999_999):
        assert client.get(reverse("register:holder", args=[pk])).status_code == 404


def test_organisations_committed_to_the_standard_are_listed_with_a_page(client, alpha, beta):
    commitment_make(membership=alpha[Role.APPLICANT_ADMIN], statement="We will be certified.")
    commitment_make(membership=beta[Role.APPLICANT_ADMIN], statement="Beta commits.")
    commitment_withdraw(membership=beta[Role.APPLICANT_ADMIN])

    listing = client.get(reverse("register:committed")).content.decode()
    page = client.get(reverse("register:holder", args=[alpha.applicant.pk]))

    assert "Alpha Borough Council" in listing
    assert "Beta Borough Council" not in listing
    assert page.status_code == 200
    assert "We will be certified." in page.content.decode()
    assert client.get(reverse("register:holder", args=[beta.applicant.pk])).status_code == 404


def test_the_certificate_pdf_is_offered_on_the_holders_page_to_its_members_only(
    client, alpha, beta, certificate, login
):
    url = reverse("register:holder", args=[alpha.applicant.pk])
    pdf = reverse("certificates:pdf", args=[certificate.pk])

    assert pdf not in client.get(url).content.decode()
    assert pdf in login(alpha[Role.APPLICANT_EDITOR]).get(url).content.decode()
    assert pdf not in login(beta[Role.APPLICANT_ADMIN]).get(url).content.decode()


# The certificate check ----------------------------------------------------------------


def check(client, number):
    return client.get(reverse("register:check"), {"number": number})


def test_the_check_says_a_valid_certificate_is_valid(client, field):
    response = check(client, field["Norwood Clinic"].number)

    body_text = response.content.decode()
    assert response.context["standing"].state == State.VALID
    assert "Valid" in body_text
    assert "may display its mark" in body_text


def test_the_check_takes_the_number_as_typed(client, field):
    certificate = field["Norwood Clinic"]
    typed = f"  {certificate.number.lower()[:5]} {certificate.number.lower()[5:]} "
    assert check(client, typed).context["certificate"] == certificate


@pytest.mark.parametrize(
    "status, words",
    [
        ("suspended", "is suspended"),
        ("withdrawn", "was withdrawn"),
        ("lapsed", "lapsed on"),
        ("expired", "expired on"),
    ],
)
def test_the_check_says_plainly_when_a_certificate_is_not_valid(
    client, standard, bodies, status, words
):
    sector = SectorFactory(slug="health", name="Health")
    certificate = make_certificate(
        "Westmere Hospital", sector, "london", bodies[0], status, standard=standard
    )

    body_text = check(client, certificate.number).content.decode()

    assert "Not valid" in body_text
    assert words in body_text
    assert "The holder may not display the mark." in body_text


def test_the_check_says_an_unknown_number_is_unknown(client, standard):
    response = check(client, "CV-2026-999999")
    assert response.status_code == 200
    assert "No certificate has the number CV-2026-999999" in response.content.decode()

    printed = client.get(reverse("register:check_number", args=["CV-2026-999999"]))
    assert printed.status_code == 404
    assert "Unknown" in printed.content.decode()


def test_the_address_printed_on_a_certificate_checks_it(client, field):
    certificate = field["Norwood Clinic"]
    response = client.get(reverse("register:check_number", args=[certificate.number]))
    assert response.status_code == 200
    assert response.context["standing"].is_valid


def test_a_certificate_of_a_body_that_lost_accreditation_stays_valid_for_a_while_flagged(
    client, field
):
    certificate = field["Norwood Clinic"]
    profile = certificate.certification_body.body_profile
    profile.accreditation_status = profile.Accreditation.WITHDRAWN
    profile.accreditation_lost_on = TODAY - datetime.timedelta(days=10)
    profile.save()

    response = check(client, certificate.number)

    standing = response.context["standing"]
    assert standing.is_valid and standing.flagged
    assert standing.valid_until == TODAY - datetime.timedelta(days=10) + datetime.timedelta(days=92)
    assert "lost its accreditation" in response.content.decode()

    profile.accreditation_lost_on = TODAY - datetime.timedelta(days=100)
    profile.save()
    lapsed = check(client, certificate.number)
    assert lapsed.context["standing"].state == State.LAPSED
    assert "has lapsed" in lapsed.content.decode()


def test_the_grace_after_a_body_loses_accreditation_ends_at_the_next_review_if_sooner():
    lost = datetime.date(2026, 1, 10)
    review = datetime.date(2026, 2, 1)

    assert standing_of("active", review, lost, datetime.date(2026, 2, 1)).is_valid
    assert standing_of("active", review, lost, datetime.date(2026, 2, 2)).state == State.LAPSED
    later = datetime.date(2026, 12, 1)
    assert standing_of("active", later, lost, datetime.date(2026, 4, 12)).is_valid
    assert standing_of("active", later, lost, datetime.date(2026, 4, 13)).state == State.LAPSED
    assert not standing_of("suspended", later, None).may_display_mark


# Certification bodies and open data ---------------------------------------------------


def test_the_bodies_page_lists_bodies_with_their_accreditation(client, bodies):
    profile = bodies[1].body_profile
    profile.accreditation_status = profile.Accreditation.SUSPENDED
    profile.accreditation_lost_on = TODAY
    profile.save()

    body_text = client.get(reverse("register:bodies")).content.decode()

    assert "Kestrel Certification" in body_text
    assert profile.accreditation_reference in body_text
    assert "Accreditation suspended" in body_text


def test_the_csv_holds_every_certificate_found_and_no_formula(client, field, standard):
    sector = SectorFactory(slug="health", name="Health")
    make_certificate(
        HYPERLINK,
        sector,
        "london",
        field["Norwood Clinic"].certification_body,
        "active",
        standard=standard,
    )

    response = client.get(reverse("register:export"), {"sector": "health"})

    assert response.streaming
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0][:2] == ["Certificate number", "Holder"]
    holders = [row[1] for row in rows[1:]]
    assert "'" + HYPERLINK in holders
    assert "Northbay Health Trust" in holders
    assert "Northshire County Council" not in holders
    westmere = next(row for row in rows if row[1] == "Westmere Hospital")
    assert westmere[13:17] == ["Suspended", TODAY.isoformat(), "Suspended", "No"]


def test_the_api_lists_certificates_with_filters_and_pages(client, field):
    url = "/api/register/certificates/"

    first = client.get(url, {"sector": "health", "page_size": 2}).json()
    second = client.get(first["next"]).json()

    assert [row["holder"] for row in first["results"] + second["results"]] == sorted(
        ["Northbay Health Trust", "Westmere Hospital", "Norwood Clinic"],
        key=lambda name: field[name].number,
    )
    row = first["results"][0]
    assert row["standing"] in ("valid", "suspended")
    assert row["check_url"].endswith(f"/register/check/{row['number']}/")
    found = client.get(url, {"q": "westmere"}).json()["results"]
    assert [(r["status"], r["may_display_mark"]) for r in found] == [("suspended", False)]
    assert client.get(url, {"cursor": "nonsense"}).status_code == 404


def test_searches_take_any_text_without_failing(client, field):
    for params in ({"q": "North\x00shire"}, {"q": "x" * 500}, {"sector": "\x00"}):
        assert client.get(reverse("register:index"), params).status_code == 200
        assert client.get("/api/register/certificates/", params).status_code == 200
    assert check(client, "CV-\x002026").status_code == 200


def test_the_api_is_rate_limited_per_address(client, standard, one_window):
    from certification.register_api import API_RATE

    for _n in range(int(API_RATE.split("/")[0])):
        assert client.get("/api/register/certificates/").status_code == 200
    assert client.get("/api/register/certificates/").status_code == 429
