"""Regulators' reliance: what a regulator reads of the organisations of its sector that
consented, the CSV of it, and the applicant's page for giving and withdrawing consent."""

import csv
import datetime
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from certification import reliance, services
from certification.models import Engagement, Finding, FindingAction
from organisations.models import Organisation, RegulatorConsent, Role
from surveys.models import Survey
from surveys.services import survey_create

from ..factories import OrganisationFactory, member
from ..factories.certification import CertificateFactory
from ..surveys.conftest import survey_input
from ..surveys.test_analysis import store as store_answers
from ..surveys.test_analysis import synthetic_answers
from .conftest import certify, open_engagement, record_all_findings


def give_consent(organisation, regulator, by):
    return RegulatorConsent.objects.create(
        organisation=organisation, regulator=regulator, given_by=by
    )


def method_survey(alpha, *, responses: int, title="Residents survey 2026"):
    """A survey of alpha's that meets the method, with `responses` synthetic answers."""
    survey = survey_create(membership=alpha[Role.APPLICANT_ADMIN], data=survey_input(title=title))
    store_answers(survey, synthetic_answers(responses, seed=3))
    Survey.objects.filter(pk=survey.pk).update(method_meets=True)
    survey.refresh_from_db()
    return survey


@pytest.fixture
def certified(alpha, application, body):
    """Alpha certified after an initial assessment with a partial at 2.1, consenting to
    its sector's regulator; the decided assessment. Made directly: reliance only reads
    it (the path to it is test_path.py's)."""
    certificate = CertificateFactory(
        application=application,
        findings={"*": "compliant", "2.1": "partial"},
        decided_by=body.deputy.user,
    )
    give_consent(alpha.applicant, alpha.regulator, alpha[Role.APPLICANT_ADMIN].user)
    return certificate.decisions.get().engagement


def csv_rows(response):
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))


# What the regulator reads ---------------------------------------------------------------


def test_a_regulator_sees_a_consenting_organisations_certificate_findings_and_survey(
    alpha, certified, login
):
    survey = method_survey(alpha, responses=200)
    certificate = alpha.applicant.certificates.get()
    client = login(alpha[Role.REGULATOR])

    listing = client.get(reverse("reliance:index")).content.decode()
    page = client.get(reverse("reliance:organisation", args=[alpha.applicant.pk]))
    text = page.content.decode()

    assert "Alpha Borough Council" in listing and certificate.number in listing
    assert "6 of 6 assessed" in listing  # one partial in criterion 2 still passes
    assert page.status_code == 200
    assert certificate.number in text and "Valid" in text
    assert "Findings by criterion" in text and "Initial assessment, reported on" in text
    assert text.count(">Met</strong>") == 6
    assert "Publish the standards" in text  # the open action for 2.1
    assert f"“{survey.title}”" in text and "200 responses." in text
    overall = reliance.profiles(alpha[Role.REGULATOR], [alpha.applicant])[0].survey.overall
    assert f"{overall['satisfied_pct']:.1f}%" in text


def test_the_home_page_and_navigation_lead_regulators_to_reliance(alpha, certified, login):
    client = login(alpha[Role.REGULATOR])

    page = client.get(reverse("home")).content.decode()

    assert reverse("reliance:index") in page
    assert "See the outcomes of the 1 organisation that consented" in page
    assert 'class="govuk-service-navigation__link" href="/reliance/"' in page


def test_a_regulator_of_another_sector_or_without_consent_gets_not_found(
    alpha, beta, certified, login
):
    path = reverse("reliance:organisation", args=[alpha.applicant.pk])
    assert login(beta[Role.REGULATOR]).get(path).status_code == 404
    # A second regulator of Alpha's own sector that has no consent.
    other = OrganisationFactory(
        name="Other Inspectorate", kind=Organisation.Kind.REGULATOR, sector=alpha.applicant.sector
    )
    assert login(member(other, Role.REGULATOR)).get(path).status_code == 404
    listing = login(member(other, Role.REGULATOR)).get(reverse("reliance:index"))
    assert "Alpha Borough Council" not in listing.content.decode()


def test_withdrawn_consent_hides_everything_again(alpha, certified, login):
    client = login(alpha[Role.REGULATOR])
    path = reverse("reliance:organisation", args=[alpha.applicant.pk])
    assert client.get(path).status_code == 200

    RegulatorConsent.objects.update(withdrawn_at="2026-01-01T00:00:00Z")

    assert client.get(path).status_code == 404
    assert (
        client.get(reverse("reliance:organisation_csv", args=[alpha.applicant.pk])).status_code
        == 404
    )
    assert "Alpha Borough Council" not in client.get(reverse("reliance:index")).content.decode()


@pytest.mark.parametrize(
    "role", [Role.APPLICANT_ADMIN, Role.CB_MANAGER, Role.ASSESSOR, Role.INTERNAL_ASSESSOR]
)
def test_only_regulators_reach_the_reliance_pages(alpha, role, login, db):
    give_consent(alpha.applicant, alpha.regulator, alpha[Role.APPLICANT_ADMIN].user)
    client = login(alpha[role])
    for path in (
        reverse("reliance:index"),
        reverse("reliance:csv"),
        reverse("reliance:organisation", args=[alpha.applicant.pk]),
        reverse("reliance:organisation_csv", args=[alpha.applicant.pk]),
    ):
        assert client.get(path).status_code == 404, path


def test_the_scheme_unit_does_not_reach_the_reliance_pages(alpha, scheme, login):
    give_consent(alpha.applicant, alpha.regulator, alpha[Role.APPLICANT_ADMIN].user)
    client = login(scheme[Role.SCHEME_ADMIN])
    assert client.get(reverse("reliance:index")).status_code == 404


def test_a_survey_with_too_few_responses_shows_no_figures(alpha, certified, login):
    method_survey(alpha, responses=9)
    client = login(alpha[Role.REGULATOR])

    text = client.get(reverse("reliance:organisation", args=[alpha.applicant.pk])).content.decode()
    profile = reliance.profiles(alpha[Role.REGULATOR], [alpha.applicant])[0]

    assert "Nothing is shown about fewer than 10 responses." in text
    assert "Satisfaction by driver" not in text
    assert all(entry["suppressed"] for entry in profile.survey.scores)
    rows = csv_rows(client.get(reverse("reliance:organisation_csv", args=[alpha.applicant.pk])))
    header = rows[0]
    for row in rows[1:]:
        if row[header.index("Topic")] == "Survey driver":
            assert row[header.index("Satisfied (%)")] == ""
            assert row[header.index("Note")] == "Fewer than 10 responses"


def test_the_list_filters_by_name(alpha, login, db):
    give_consent(alpha.applicant, alpha.regulator, alpha[Role.APPLICANT_ADMIN].user)
    give_consent(alpha.unit, alpha.regulator, alpha[Role.APPLICANT_ADMIN].user)
    client = login(alpha[Role.REGULATOR])

    everyone = client.get(reverse("reliance:index")).content.decode()
    housing = client.get(reverse("reliance:index"), {"name": "housing"}).content.decode()

    assert "Alpha Borough Council" in everyone and "Alpha Housing Unit" in everyone
    assert "Alpha Housing Unit" in housing and "Alpha Borough Council" not in housing
    assert "1 organisation matches “housing”" in housing
    assert f"{reverse('reliance:csv')}?name=housing" in housing


def test_the_list_reads_a_page_of_organisations_in_the_same_number_of_queries(
    alpha, certified, login
):
    client = login(alpha[Role.REGULATOR])
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("reliance:index"))
    for n in range(4):
        extra = OrganisationFactory(name=f"Alpha Trust {n}", sector=alpha.applicant.sector)
        give_consent(extra, alpha.regulator, alpha[Role.APPLICANT_ADMIN].user)
    with CaptureQueriesContext(connection) as five:
        page = client.get(reverse("reliance:index")).content.decode()

    assert "Alpha Trust 3" in page and "5 organisations consented" in page
    assert len(five) == len(one)


# The CSV --------------------------------------------------------------------------------


def test_the_csv_has_a_row_per_criterion_and_driver_and_neutralises_formulas(
    alpha, certified, login
):
    method_survey(alpha, responses=120)
    Organisation.objects.filter(pk=alpha.applicant.pk).update(name='=HYPERLINK("x")')
    client = login(alpha[Role.REGULATOR])

    response = client.get(reverse("reliance:csv"))
    rows = csv_rows(response)

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "reliance-alpha-inspectorate.csv" in response["Content-Disposition"]
    header, body = rows[0], rows[1:]
    topic, item = header.index("Topic"), header.index("Criterion or driver")
    assert [row[topic] for row in body].count("Criterion") == 6
    assert [row[topic] for row in body].count("Survey driver") == 6  # overall and 5 drivers
    assert {row[0] for row in body} == {'\'=HYPERLINK("x")'}
    delivery = next(row for row in body if row[item].startswith("2. "))
    assert delivery[header.index("Partial")] == "1"
    assert delivery[header.index("Pass rule")] == "Met"
    assert delivery[header.index("Elements with gaps")] == "2.1"
    assert delivery[header.index("Open actions")].startswith("2.1: due ")
    overall = next(row for row in body if row[item] == "Overall satisfaction")
    assert float(overall[header.index("Satisfied (%)")]) > 0
    assert overall[header.index("Responses")] == "120"


def test_an_organisation_without_outcomes_still_has_a_row(alpha, login, db):
    give_consent(alpha.applicant, alpha.regulator, alpha[Role.APPLICANT_ADMIN].user)
    client = login(alpha[Role.REGULATOR])

    rows = csv_rows(client.get(reverse("reliance:organisation_csv", args=[alpha.applicant.pk])))

    assert len(rows) == 2
    assert rows[1][0] == "Alpha Borough Council"
    assert rows[1][rows[0].index("Certificate status")] == "No certificate"


# The API: decided work only, as on the pages ---------------------------------------------


@pytest.fixture
def review_under_way(application, body, certified):
    """An annual review of alpha's with a draft finding: an engagement not yet decided."""
    review = open_engagement(application, body, Engagement.Kind.ANNUAL_REVIEW)
    draft = review.findings.first()
    services.finding_save(
        membership=body.lead,
        finding=draft,
        expected_version=0,
        data=services.FindingInput(
            rating="non_compliant",
            notes="Draft: complaints go unanswered",
            evidence_reviewed="Draft: the complaints log",
            action="Answer complaints",
            action_due=datetime.date.today() + datetime.timedelta(days=30),
        ),
    )
    return review


def test_the_api_shows_a_regulator_no_finding_of_an_assessment_under_way(
    alpha, certified, review_under_way, login
):
    client = login(alpha[Role.REGULATOR])
    draft = review_under_way.findings.exclude(rating="").get()

    listed = client.get("/api/findings/").json()
    of_review = client.get("/api/findings/", {"engagement": review_under_way.pk}).json()

    assert listed["count"] == certified.findings.count()
    assert {f["engagement"] for f in listed["results"]} == {certified.pk}
    assert of_review["count"] == 0
    assert client.get(f"/api/findings/{draft.pk}/").status_code == 404
    assert client.get(f"/api/finding-actions/{draft.action.pk}/").status_code == 404
    assert "Draft:" not in str(client.get("/api/finding-actions/").json())


def test_a_regulator_reads_decided_findings_without_the_assessors_notes(alpha, certified, login):
    client = login(alpha[Role.REGULATOR])
    gap = certified.findings.get(element__code="2.1")
    FindingAction.objects.filter(pk=gap.action.pk).update(
        verification_note="Assessor: evidence not yet seen"
    )

    finding = client.get(f"/api/findings/{gap.pk}/").json()
    action = client.get(f"/api/finding-actions/{gap.action.pk}/").json()

    assert finding["rating"] == "partial" and finding["element"] == "2.1"
    assert finding["action"]["description"] == "Publish the standards"
    assert "notes" not in finding and "evidence_reviewed" not in finding
    assert action["status"] == "open" and "verification_note" not in action
    assert "response" not in action and "Assessor:" not in str(finding)


def test_the_api_answers_not_found_for_an_engagement_under_way(
    alpha, certified, review_under_way, login
):
    client = login(alpha[Role.REGULATOR])

    detail = client.get(f"/api/engagements/{review_under_way.pk}/")
    listed = client.get("/api/engagements/").json()
    decided = client.get(f"/api/engagements/{certified.pk}/").json()

    assert detail.status_code == 404
    assert client.get(f"/api/engagements/{review_under_way.pk}/elements/").status_code == 404
    assert [e["id"] for e in listed["results"]] == [certified.pk]
    assert decided["status"] == "decided" and decided["summary"] == "A well-run service."
    assert not {"team", "lead", "assessor_days", "plan_reasons"} & set(decided)


def test_an_earlier_decided_assessment_is_not_relied_on(alpha, application, body, certified, login):
    review = open_engagement(application, body, Engagement.Kind.ANNUAL_REVIEW)
    record_all_findings(review, body)
    certify(review, body)
    client = login(alpha[Role.REGULATOR])

    engagements = client.get("/api/engagements/").json()["results"]
    decisions = client.get("/api/decisions/", {"engagement": certified.pk}).json()["results"]

    assert [e["id"] for e in engagements] == [review.pk]
    assert client.get(f"/api/findings/{certified.findings.first().pk}/").status_code == 404
    # The first certification is the certificate's own decision: it stays in its history.
    assert [d["kind"] for d in decisions] == ["certify"]


def test_the_api_shows_a_regulator_only_the_survey_the_page_relies_on(alpha, certified, login):
    earlier = method_survey(alpha, responses=20, title="Residents survey 2025")
    Survey.objects.filter(pk=earlier.pk).update(period_start="2025-01-01", period_end="2025-03-31")
    latest = method_survey(alpha, responses=20)
    unmet = survey_create(
        membership=alpha[Role.APPLICANT_ADMIN], data=survey_input(title="Comment cards")
    )
    Survey.objects.filter(pk=unmet.pk).update(method_meets=False, period_end="2026-12-31")
    client = login(alpha[Role.REGULATOR])

    listed = client.get("/api/surveys/").json()

    assert [s["title"] for s in listed["results"]] == [latest.title]
    assert client.get(f"/api/surveys/{latest.pk}/").status_code == 200
    for hidden in (earlier, unmet):
        assert client.get(f"/api/surveys/{hidden.pk}/").status_code == 404
        assert client.get(f"/api/surveys/{hidden.pk}/analysis/").status_code == 404
    page = client.get(reverse("reliance:organisation", args=[alpha.applicant.pk])).content
    assert f"“{latest.title}”" in page.decode()


def test_a_regulator_lists_the_consents_given_to_it(alpha, beta, login, db):
    live = give_consent(alpha.applicant, alpha.regulator, alpha[Role.APPLICANT_ADMIN].user)
    give_consent(beta.applicant, beta.regulator, beta[Role.APPLICANT_ADMIN].user)
    client = login(alpha[Role.REGULATOR])

    listed = client.get("/api/regulator-consents/").json()

    assert [c["id"] for c in listed["results"]] == [live.pk]
    assert listed["results"][0]["organisation"] == alpha.applicant.pk
    assert client.get(f"/api/regulator-consents/{live.pk}/").status_code == 200
    withdraw = client.post(f"/api/regulator-consents/{live.pk}/withdraw/")
    assert withdraw.status_code == 403
    assert RegulatorConsent.objects.get(pk=live.pk).withdrawn_at is None


# The pass rule --------------------------------------------------------------------------


def test_the_pass_rule_judges_only_the_elements_assessed(standard):
    criterion = standard.criteria.get(number=2)
    elements = list(criterion.elements.order_by("position"))

    def outcome(ratings):
        findings = [Finding(element=e, rating=r) for e, r in zip(elements, ratings, strict=False)]
        return reliance.criterion_outcomes(standard, findings)[1]

    assert outcome(["compliant"] * len(elements)).met is True
    assert outcome(["compliant", "compliant", "compliant", "compliant", "partial"]).met is True
    assert outcome(["compliant", "compliant", "partial"]).met is False  # 2 of 3 is under 80%
    assert outcome(["compliance_plus", "non_compliant"]).met is False
    assert reliance.criterion_outcomes(standard, [])[1].met is None
    half = outcome(["compliant"] * 3)
    assert (half.assessed, half.total, half.counts["compliant"]) == (3, len(elements), 3)


# The applicant's consent ----------------------------------------------------------------


def test_an_administrator_gives_and_withdraws_consent_and_sees_the_history(alpha, login, db):
    client = login(alpha[Role.APPLICANT_ADMIN])
    page = client.get(reverse("reliance:consents")).content.decode()
    assert "Alpha Inspectorate" in page and "Not given" in page and "Give consent" in page

    given = client.post(reverse("reliance:consent_give", args=[alpha.regulator.pk]), follow=True)
    assert "You gave consent: Alpha Inspectorate can now rely on" in given.content.decode()
    assert "govuk-notification-banner--success" in given.content.decode()
    regulator = login(alpha[Role.REGULATOR])
    path = reverse("reliance:organisation", args=[alpha.applicant.pk])
    assert regulator.get(path).status_code == 200

    client = login(alpha[Role.APPLICANT_ADMIN])
    withdrawn = client.post(
        reverse("reliance:consent_withdraw", args=[alpha.regulator.pk]), follow=True
    )
    text = withdrawn.content.decode()
    assert "You withdrew consent: Alpha Inspectorate no longer sees your outcomes." in text
    assert "Consent given" in text and "Consent withdrawn" in text
    assert text.count(alpha[Role.APPLICANT_ADMIN].user.full_name) >= 2
    assert login(alpha[Role.REGULATOR]).get(path).status_code == 404


def test_giving_consent_twice_keeps_one_live_consent(alpha, login, db):
    client = login(alpha[Role.APPLICANT_ADMIN])
    for _ in range(2):
        client.post(reverse("reliance:consent_give", args=[alpha.regulator.pk]))
    assert RegulatorConsent.objects.filter(withdrawn_at__isnull=True).count() == 1


def test_other_members_read_the_consent_page_but_cannot_change_it(alpha, login, db):
    client = login(alpha[Role.APPLICANT_EDITOR])

    page = client.get(reverse("reliance:consents")).content.decode()
    give = client.post(reverse("reliance:consent_give", args=[alpha.regulator.pk]))

    assert "Only your organisation's administrators can give or withdraw consent." in page
    assert "Give consent" not in page
    assert give.status_code == 404
    assert not RegulatorConsent.objects.exists()


@pytest.mark.parametrize("role", [Role.CB_MANAGER, Role.REGULATOR])
def test_the_consent_page_is_not_found_for_other_kinds_of_organisation(alpha, role, login):
    assert login(alpha[role]).get(reverse("reliance:consents")).status_code == 404


def test_a_regulator_of_another_sector_cannot_be_given_consent(alpha, beta, login):
    client = login(alpha[Role.APPLICANT_ADMIN])

    response = client.post(reverse("reliance:consent_give", args=[beta.regulator.pk]))

    assert response.status_code == 404
    assert not RegulatorConsent.objects.exists()
