import datetime

from django.urls import reverse

from certification.models import Application, Certificate, ConflictDeclaration, Engagement
from organisations.models import Role

from .conftest import record_all_findings


def _date(prefix, day):
    return {f"{prefix}_0": day.day, f"{prefix}_1": day.month, f"{prefix}_2": day.year}


def test_an_applicant_applies_and_the_body_accepts(alpha, body, login):
    client = login(alpha[Role.APPLICANT_ADMIN])
    page = client.get(reverse("certification:apply"))
    assert alpha.certification_body.name in page.content.decode()
    response = client.post(
        reverse("certification:apply"),
        {"certification_body": alpha.certification_body.pk, "scope_note": "Housing and benefits"},
    )
    application = Application.objects.get(applicant=alpha.applicant)
    assert response.url == reverse("certification:application", args=[application.pk])

    client = login(body.manager)
    url = reverse("certification:application", args=[application.pk])
    declined = client.post(url, {"answer": "decline", "note": ""})
    assert "Say why the application is declined." in declined.content.decode()
    client.post(url, {"answer": "accept"})
    application.refresh_from_db()
    assert application.status == Application.Status.ACCEPTED


def test_an_applicant_without_a_choice_is_told_what_to_choose(alpha, body, login):
    client = login(alpha[Role.APPLICANT_ADMIN])
    response = client.post(reverse("certification:apply"), {})
    assert "Choose a certification body." in response.content.decode()
    assert not Application.objects.exists()


def test_the_manager_plans_and_names_a_team_refusing_a_conflicted_assessor(
    alpha, application, body, login
):
    ConflictDeclaration.objects.create(
        assessor=body.assessor,
        organisation=alpha.applicant,
        kind="advised",
        details="Ran their complaints training in 2025",
    )
    client = login(body.manager)
    response = client.post(
        reverse("certification:engagement_create", args=[application.pk]),
        {"kind": "initial", "assessor_days": "3", **_date("starts_on", datetime.date.today())},
    )
    engagement = Engagement.objects.get()
    assert response.url == reverse("certification:engagement", args=[engagement.pk])
    page = client.get(response.url).content.decode()
    assert "Central function, visited every time" in page
    assert "initial assessment: √x" in page

    team_url = reverse("certification:team", args=[engagement.pk])
    refused = client.post(team_url, {"lead": body.lead.pk, "members": [body.assessor.pk]})
    assert "declared a conflict of interest" in refused.content.decode()
    client.post(team_url, {"lead": body.lead.pk})
    assert engagement.team.get() == body.lead


def test_findings_autosave_and_a_stale_save_is_refused(engagement, body, login):
    client = login(body.lead)
    url = reverse("certification:finding", args=[engagement.pk, "1.1"])
    saved = client.post(
        url,
        {"rating": "compliant", "notes": "Clear insight work", "version": 0},
        HTTP_ACCEPT="application/json",
    )
    assert saved.status_code == 200 and saved.json()["version"] == 1
    stale = client.post(
        url,
        {"rating": "partial", "notes": "Another view", "version": 0},
        HTTP_ACCEPT="application/json",
    )
    assert stale.status_code == 409
    assert engagement.findings.get(element__code="1.1").notes == "Clear insight work"


def test_an_assessor_records_a_visit(engagement, body, alpha, login):
    client = login(body.lead)
    response = client.post(
        reverse("certification:visit_add", args=[engagement.pk]),
        {
            "site": alpha.site.pk,
            "hours": "6",
            "staff_spoken_to": "8",
            "customers_spoken_to": "5",
            "observations": "Queue times displayed",
            **_date("visited_on", datetime.date.today()),
        },
    )
    assert response.status_code == 302
    visit = engagement.visits.get()
    assert visit.customers_spoken_to == 5
    engagement.refresh_from_db()
    assert engagement.status == Engagement.Status.IN_PROGRESS


def test_only_someone_off_the_team_decides_and_the_certificate_follows(
    engagement, body, alpha, login
):
    record_all_findings(engagement, body)
    client = login(body.lead)
    client.post(
        reverse("certification:report", args=[engagement.pk]), {"summary": "Strong service."}
    )
    assert client.get(reverse("certification:decide", args=[engagement.pk])).status_code == 404

    client = login(body.deputy)
    client.post(
        reverse("certification:decide", args=[engagement.pk]),
        {"kind": "certify", "reasons": "Meets every element."},
    )
    certificate = Certificate.objects.get()
    page = client.get(reverse("certification:certificate", args=[certificate.pk])).content
    assert certificate.number in page.decode()

    holder = login(alpha[Role.APPLICANT_EDITOR])
    findings = holder.get(reverse("certification:engagement", args=[engagement.pk]))
    assert "53 of 53 elements have a finding." in findings.content.decode()


def test_the_holder_sees_no_findings_before_the_report(engagement, body, alpha, login):
    record_all_findings(engagement, body)
    client = login(alpha[Role.APPLICANT_ADMIN])
    page = client.get(reverse("certification:engagement", args=[engagement.pk])).content.decode()
    assert "shown here once the assessment is reported" in page
    url = reverse("certification:finding", args=[engagement.pk, "1.1"])
    assert client.get(url).status_code == 404


def test_the_fee_statement_prices_assessor_days_at_the_day_rate(engagement, alpha, login):
    client = login(alpha[Role.APPLICANT_ADMIN])
    csv = client.get(reverse("certification:fees", args=[engagement.pk])).content.decode()
    assert "Assessor days,2.5" in csv
    assert "Fee," in csv and "1,625.00" in csv


def test_the_manager_suspends_and_reinstates_a_certificate(certificate, body, login):
    client = login(body.manager)
    url = reverse("certification:certificate", args=[certificate.pk])
    client.post(url, {"kind": "suspend", "reasons": "Complaint under investigation"})
    certificate.refresh_from_db()
    assert certificate.status == Certificate.Status.SUSPENDED
    client.post(url, {"kind": "reinstate", "reasons": "Complaint resolved"})
    certificate.refresh_from_db()
    assert certificate.status == Certificate.Status.ACTIVE
    assert certificate.decisions.count() == 3  # the certify decision, then two


def test_regulators_use_the_reliance_pages_not_these(alpha, login):
    client = login(alpha[Role.REGULATOR])
    assert client.get(reverse("certification:index")).status_code == 404
