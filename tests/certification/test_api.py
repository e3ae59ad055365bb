"""The certification API: every change goes through the services, every read through the
tenancy policy."""

import datetime

import pytest

from certification.models import Application, Decision, Engagement, FindingAction
from organisations.models import RegulatorConsent, Role

from .conftest import build_certified, record_all_findings

TODAY = datetime.date.today()
JSON = "application/json"


def test_a_body_manager_opens_an_engagement_and_names_the_team(application, body, login):
    client = login(body.manager)
    created = client.post(
        "/api/engagements/",
        {
            "application": application.pk,
            "kind": "initial",
            "starts_on": str(TODAY),
            "ends_on": str(TODAY + datetime.timedelta(days=1)),
            "assessor_days": "2.5",
        },
        content_type=JSON,
    )
    assert created.status_code == 201, created.json()
    engagement = created.json()
    assert engagement["status"] == "planning" and engagement["plan_reasons"]
    sites = client.get(f"/api/engagements/{engagement['id']}/sites/").json()
    assert {"central", "random"} <= {site["reason"] for site in sites}
    elements = client.get(f"/api/engagements/{engagement['id']}/elements/").json()
    assert len(elements) == 53 and elements[0]["reason"] == "all"
    team = client.post(
        f"/api/engagements/{engagement['id']}/team/",
        {"lead": body.lead.pk, "members": [body.assessor.pk]},
        content_type=JSON,
    )
    assert team.status_code == 200, team.json()
    assert team.json()["lead"] == body.lead.pk
    assert set(team.json()["team"]) == {body.lead.pk, body.assessor.pk}


def test_a_team_without_competence_is_refused_with_the_reason(engagement, body, alpha, login):
    from tests.factories import member

    novice = member(alpha.certification_body, Role.ASSESSOR, email="novice@alpha.example")
    response = login(body.manager).post(
        f"/api/engagements/{engagement.pk}/team/",
        {"lead": novice.pk},
        content_type=JSON,
    )
    assert response.status_code == 400
    assert "competence" in str(response.json()["team"])


def test_dates_and_days_change_and_what_is_left_out_stays(engagement, body, login):
    url = f"/api/engagements/{engagement.pk}/"
    response = login(body.manager).patch(url, {"assessor_days": "3.5"}, content_type=JSON)
    assert response.status_code == 200, response.json()
    assert response.json()["assessor_days"] == "3.5"
    assert response.json()["starts_on"] == str(TODAY)
    backwards = login(body.manager).patch(
        url, {"ends_on": str(TODAY - datetime.timedelta(days=3))}, content_type=JSON
    )
    assert backwards.status_code == 400 and "ends_on" in backwards.json()


def test_the_plan_changes_only_with_a_justification_and_keeps_it(engagement, body, login):
    client = login(body.lead)
    url = f"/api/engagements/{engagement.pk}/plan-changes/"
    unexplained = client.post(
        url, {"element": "2.1", "add": False, "justification": " "}, content_type=JSON
    )
    assert unexplained.status_code == 400
    removed = client.post(
        url,
        {"element": "2.1", "add": False, "justification": "Seen last month"},
        content_type=JSON,
    )
    assert removed.status_code == 201, removed.json()
    assert removed.json()["change"] == "Removed element 2.1"
    assert client.get(url).json()[0]["justification"] == "Seen last month"
    codes = {e["element"] for e in client.get(f"/api/engagements/{engagement.pk}/elements/").json()}
    assert "2.1" not in codes


def test_a_lead_records_a_finding_and_a_stale_version_answers_409(engagement, body, login):
    finding = engagement.findings.select_related("element").first()
    client = login(body.lead)
    url = f"/api/findings/{finding.pk}/"
    saved = client.patch(
        url, {"rating": "compliant", "notes": "Clear standards", "version": 0}, content_type=JSON
    )
    assert saved.status_code == 200, saved.json()
    assert saved.json()["version"] == 1
    stale = client.patch(url, {"rating": "partial", "version": 0}, content_type=JSON)
    assert stale.status_code == 409
    assert stale.json()["current"]["rating"] == "compliant"
    finding.refresh_from_db()
    assert (finding.rating, finding.version) == ("compliant", 1)


def test_a_gap_carries_an_action_the_holder_answers_and_the_assessor_verifies(
    engagement, body, alpha, login
):
    finding = engagement.findings.get(element__code="2.1")
    due = TODAY + datetime.timedelta(days=30)
    saved = login(body.lead).patch(
        f"/api/findings/{finding.pk}/",
        {"rating": "partial", "action": "Publish response times", "action_due": str(due)}
        | {"version": 0, "site": alpha.site.pk},
        content_type=JSON,
    )
    assert saved.status_code == 200, saved.json()
    action = saved.json()["action"]
    assert action["status"] == "open" and action["due_date"] == str(due)
    holder = login(alpha[Role.APPLICANT_EDITOR])
    answered = holder.post(
        f"/api/finding-actions/{action['id']}/respond/",
        {"response": "Published on the website", "evidence": [alpha.evidence.pk]},
        content_type=JSON,
    )
    assert answered.status_code == 200, answered.json()
    assert answered.json()["evidence"] == [alpha.evidence.pk]
    verify = f"/api/finding-actions/{action['id']}/verify/"
    assert holder.post(verify, {"accept": True}, content_type=JSON).status_code == 403
    verified = login(body.lead).post(verify, {"accept": True}, content_type=JSON)
    assert verified.status_code == 200
    assert FindingAction.objects.get(pk=action["id"]).status == FindingAction.Status.ACCEPTED


def test_the_team_records_visits_at_planned_sites_only(engagement, body, alpha, login):
    client = login(body.assessor)
    visit = {"engagement": engagement.pk, "site": alpha.site.pk, "visited_on": str(TODAY)}
    created = client.post("/api/site-visits/", visit | {"hours": "6.5"}, content_type=JSON)
    assert created.status_code == 201, created.json()
    assert Engagement.objects.get(pk=engagement.pk).status == Engagement.Status.IN_PROGRESS
    changed = client.put(
        f"/api/site-visits/{created.json()['id']}/",
        {"site": alpha.site.pk, "visited_on": str(TODAY), "hours": "7", "staff_spoken_to": 4},
        content_type=JSON,
    )
    assert changed.status_code == 200 and changed.json()["staff_spoken_to"] == 4
    elsewhere = client.post(
        "/api/site-visits/", visit | {"site": 987654321, "hours": "2"}, content_type=JSON
    )
    assert elsewhere.status_code == 400 and "site" in elsewhere.json()


def test_an_assessor_on_the_team_cannot_decide_and_an_independent_manager_can(
    engagement, body, login
):
    record_all_findings(engagement, body)
    reported = login(body.lead).post(
        f"/api/engagements/{engagement.pk}/report/",
        {"summary": "A well-run service."},
        content_type=JSON,
    )
    assert reported.status_code == 200 and reported.json()["status"] == "reported"
    decision = {"engagement": engagement.pk, "kind": "certify", "reasons": "Meets the standard."}
    refused = login(body.lead).post("/api/decisions/", decision, content_type=JSON)
    assert refused.status_code == 403
    assert not Decision.objects.exists()
    decided = login(body.deputy).post("/api/decisions/", decision, content_type=JSON)
    assert decided.status_code == 201, decided.json()
    certificates = login(body.deputy).get("/api/certificates/?status=active").json()
    assert certificates["count"] == 1
    assert certificates["results"][0]["events"][0]["kind"] == "issued"


def test_decisions_are_never_edited_or_deleted(certificate, body, login):
    decision = Decision.objects.get()
    client = login(body.deputy)
    url = f"/api/decisions/{decision.pk}/"
    assert client.get(url).json()["kind"] == "certify"
    for method in (client.put, client.patch, client.delete):
        assert method(url, {"reasons": "Changed"}, content_type=JSON).status_code == 405
    assert Decision.objects.get().reasons == "Meets the standard."


def test_suspending_a_certificate_is_a_new_decision_in_its_history(certificate, body, login):
    client = login(body.deputy)
    suspended = client.post(
        "/api/decisions/",
        {"certificate": certificate.pk, "kind": "suspend", "reasons": "Complaints unanswered"},
        content_type=JSON,
    )
    assert suspended.status_code == 201, suspended.json()
    assert suspended.json()["supersedes"] == Decision.objects.earliest("decided_at").pk
    detail = client.get(f"/api/certificates/{certificate.pk}/").json()
    assert detail["status"] == "suspended" and not detail["may_display_mark"]
    assert [e["kind"] for e in detail["events"]] == ["suspended", "issued"]


def test_certificates_filter_by_review_due_date(certificate, body, login):
    client = login(body.manager)
    due = certificate.next_review_due
    within = client.get(f"/api/certificates/?next_review_due_before={due}").json()
    before = client.get(
        f"/api/certificates/?next_review_due_before={due - datetime.timedelta(days=1)}"
    ).json()
    assert (within["count"], before["count"]) == (1, 0)
    assert client.get("/api/certificates/?next_review_due_after=someday").status_code == 400


def test_an_applicant_admin_applies_and_consents(alpha, body, login):
    client = login(alpha[Role.APPLICANT_ADMIN])
    applied = client.post(
        "/api/applications/",
        {"certification_body": alpha.certification_body.pk, "units": [alpha.unit.pk]},
        content_type=JSON,
    )
    assert applied.status_code == 201, applied.json()
    assert applied.json()["status"] == "pending" and applied.json()["units"] == [alpha.unit.pk]
    again = client.post(
        "/api/applications/", {"certification_body": alpha.certification_body.pk}, content_type=JSON
    )
    assert again.status_code == 400
    accepted = login(body.manager).post(f"/api/applications/{applied.json()['id']}/accept/")
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"

    client = login(alpha[Role.APPLICANT_ADMIN])
    consent = client.post(
        "/api/regulator-consents/", {"regulator": alpha.regulator.pk}, content_type=JSON
    )
    assert consent.status_code == 201, consent.json()
    assert client.get("/api/regulator-consents/").json()["count"] == 1
    withdrawn = client.post(f"/api/regulator-consents/{consent.json()['id']}/withdraw/")
    assert withdrawn.status_code == 200 and withdrawn.json()["withdrawn_at"]
    assert not RegulatorConsent.objects.filter(withdrawn_at__isnull=True).exists()


def test_a_decline_needs_a_reason_and_an_editor_cannot_apply(alpha, body, login):
    refused = login(alpha[Role.APPLICANT_EDITOR]).post(
        "/api/applications/", {"certification_body": alpha.certification_body.pk}, content_type=JSON
    )
    assert refused.status_code == 403
    applied = login(alpha[Role.APPLICANT_ADMIN]).post(
        "/api/applications/", {"certification_body": alpha.certification_body.pk}, content_type=JSON
    )
    url = f"/api/applications/{applied.json()['id']}/decline/"
    assert login(body.manager).post(url, {}, content_type=JSON).status_code == 400
    declined = login(body.manager).post(url, {"note": "No capacity"}, content_type=JSON)
    assert declined.json()["status"] == "declined"
    assert Application.objects.get().answer_note == "No capacity"


def test_the_body_directory_is_public_and_its_day_rate_is_not(alpha, beta, body, client, login):
    from .conftest import accredit

    accredit(beta.certification_body, day_rate="700.00")
    url = f"/api/certification-bodies/{alpha.certification_body.pk}/"
    public = client.get(url).json()
    assert public["accreditation_reference"] and public["day_rate"] is None
    assert login(beta[Role.CB_MANAGER]).get(url).json()["day_rate"] is None
    assert login(body.manager).get(url).json()["day_rate"] == "650.00"
    changed = login(body.manager).patch(url, {"day_rate": "675.00"}, content_type=JSON)
    assert changed.status_code == 200 and changed.json()["day_rate"] == "675.00"
    rival = login(beta[Role.CB_MANAGER]).patch(url, {"day_rate": "1.00"}, content_type=JSON)
    assert rival.status_code == 403


def test_managers_record_competence_and_assessors_declare_conflicts(
    alpha, beta, body, application, login
):
    manager = login(body.manager)
    profile = manager.post(
        "/api/assessor-profiles/",
        {"assessor": body.assessor.pk, "sectors": [alpha.applicant.sector.slug]},
        content_type=JSON,
    )
    assert profile.status_code == 201, profile.json()
    assert profile.json()["sectors"] == [alpha.applicant.sector.slug]
    stranger = login(body.assessor).post(
        "/api/conflict-declarations/",
        {"organisation": beta.applicant.pk, "kind": "advised", "details": "Trained its staff"},
        content_type=JSON,
    )
    assert stranger.status_code == 400  # not an applicant to this body: its name stays private
    declared = login(body.assessor).post(
        "/api/conflict-declarations/",
        {"organisation": alpha.unit.pk, "kind": "advised", "details": "Trained its staff"},
        content_type=JSON,
    )
    assert declared.status_code == 201, declared.json()
    assert declared.json()["in_force"]
    listed = login(body.manager).get("/api/conflict-declarations/").json()
    assert [row["details"] for row in listed["results"]] == ["Trained its staff"]
    assert login(beta[Role.CB_MANAGER]).get("/api/conflict-declarations/").json()["count"] == 0


@pytest.fixture
def certified_alpha(alpha, standard):
    return build_certified(alpha)


def _detail_urls(alpha):
    return [
        f"/api/applications/{alpha.application.pk}/",
        f"/api/engagements/{alpha.engagement.pk}/",
        f"/api/engagements/{alpha.engagement.pk}/sites/",
        f"/api/engagements/{alpha.engagement.pk}/elements/",
        f"/api/engagements/{alpha.engagement.pk}/plan-changes/",
        f"/api/findings/{alpha.finding.pk}/",
        f"/api/finding-actions/{alpha.finding_action.pk}/",
        f"/api/site-visits/{alpha.visit.pk}/",
        f"/api/decisions/{alpha.decision.pk}/",
        f"/api/certificates/{alpha.certificate.pk}/",
        f"/api/regulator-consents/{alpha.consent.pk}/",
        f"/api/assessor-profiles/{alpha.assessor_profile.pk}/",
        f"/api/conflict-declarations/{alpha.conflict.pk}/",
    ]


def test_another_tenant_gets_404_on_every_detail_route(certified_alpha, beta, login):
    alpha = certified_alpha
    writes = [
        (f"/api/applications/{alpha.application.pk}/withdraw/", {}),
        (f"/api/engagements/{alpha.engagement.pk}/team/", {"lead": beta[Role.ASSESSOR].pk}),
        (f"/api/findings/{alpha.finding.pk}/", {"rating": "compliant", "version": 1}),
        (f"/api/finding-actions/{alpha.finding_action.pk}/respond/", {"response": "Done"}),
        (f"/api/regulator-consents/{alpha.consent.pk}/withdraw/", {}),
    ]
    for role in (Role.APPLICANT_ADMIN, Role.CB_MANAGER, Role.ASSESSOR, Role.REGULATOR):
        client = login(beta[role])
        for url in _detail_urls(alpha):
            assert client.get(url).status_code == 404, (role, url)
        for url, body in writes:
            method = client.patch if url.startswith("/api/findings/") else client.post
            assert method(url, body, content_type=JSON).status_code == 404, (role, url)
    assert FindingAction.objects.get(pk=alpha.finding_action.pk).status == "open"


def test_a_regulator_reads_outcomes_only_while_consent_lasts(certified_alpha, login):
    alpha = certified_alpha
    client = login(alpha[Role.REGULATOR])
    assert client.get(f"/api/certificates/{alpha.certificate.pk}/").status_code == 200
    # The review under way is not an outcome yet; the decided assessment's findings are.
    assert client.get(f"/api/findings/{alpha.finding.pk}/").status_code == 404
    decided = alpha.decision.engagement.findings.first()
    assert client.get(f"/api/findings/{decided.pk}/").status_code == 200
    assert client.get(f"/api/applications/{alpha.application.pk}/").status_code == 404
    login(alpha[Role.APPLICANT_ADMIN]).post(f"/api/regulator-consents/{alpha.consent.pk}/withdraw/")
    client = login(alpha[Role.REGULATOR])
    assert client.get(f"/api/certificates/{alpha.certificate.pk}/").status_code == 404
    assert client.get(f"/api/findings/{decided.pk}/").status_code == 404
