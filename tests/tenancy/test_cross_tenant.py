"""Walks every URL pattern and API route as each role of a second tenant.

A route that names an object (it has URL arguments) is requested with
tenant Alpha's object and must answer 404 to every Beta user, for GET, POST,
PUT, PATCH and DELETE alike. A route without arguments must not show any of Alpha's names.
New routes are covered by construction: a route whose arguments this file
does not know fails the walk until it is added to KWARGS or EXEMPT, with a reason.
"""

import pytest
from django.db import transaction
from django.test import override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import translation

from organisations.models import Role
from standard.selectors import current_standard

from ..conftest import build_tenant, load_standard, services_for_tests
from ..factories import member

# Values for URL arguments, taken from tenant Alpha. Keys: argument name, or
# "route name:argument" where one argument name means different things.
KWARGS = {
    "organisation_pk": lambda a: a.applicant.pk,
    "site_pk": lambda a: a.site.pk,
    "membership_pk": lambda a: a[Role.APPLICANT_EDITOR].pk,
    "invitation_pk": lambda a: a.invitation.pk,
    "evidence_pk": lambda a: a.evidence.pk,
    "assessment_pk": lambda a: a.self_assessment.pk,
    "job_pk": lambda a: a.report_job.pk,
    "action_pk": lambda a: a.action.pk,
    # A criterion and an element of Alpha's self-assessment (the assessment is Alpha's).
    "slug": lambda a: "delivery",
    "code": lambda a: "2.1",
    "organisation-detail:pk": lambda a: a.applicant.pk,
    "site-detail:pk": lambda a: a.site.pk,
    "selfassessment-detail:pk": lambda a: a.self_assessment.pk,
    "selfassessment-submit:pk": lambda a: a.self_assessment.pk,
    "rating-detail:pk": lambda a: a.rating.pk,
    "action-detail:pk": lambda a: a.action.pk,
    "evidence-detail:pk": lambda a: a.evidence.pk,
    "survey_pk": lambda a: a.survey.pk,
    "question_pk": lambda a: a.survey.questions.get().pk,
    "group_pk": lambda a: a.survey.groups.get().pk,
    "import_pk": lambda a: a.import_job.pk,
    "link_pk": lambda a: a.survey_link.pk,
    "survey-detail:pk": lambda a: a.survey.pk,
    "survey-fields:pk": lambda a: a.survey.pk,
    "survey-analysis:pk": lambda a: a.survey.pk,
    "response-detail:pk": lambda a: a.survey.responses.get().pk,
    "importjob-detail:pk": lambda a: a.import_job.pk,
    "importjob-confirm:pk": lambda a: a.import_job.pk,
    "importjob-retry:pk": lambda a: a.import_job.pk,
    "survey_reports:job:job_pk": lambda a: a.survey_report.pk,
    "survey_reports:download:job_pk": lambda a: a.survey_report.pk,
    # An organisation's benchmark report (the API's; the pages take organisation_pk).
    "benchmark-detail:pk": lambda a: a.applicant.pk,
    "benchmark_reports:job:job_pk": lambda a: a.benchmark_report.pk,
    "benchmark_reports:download:job_pk": lambda a: a.benchmark_report.pk,
    "format": lambda a: "json",
    # A peer group of Alpha's sector: only Alpha's sector and the scheme unit reach it.
    "peer_group_pk": lambda a: a.peer_group.pk,
    # Certification pages: Alpha's application, review under way, certificate and so on.
    "application_pk": lambda a: a.application.pk,
    "engagement_pk": lambda a: a.engagement.pk,
    "certificate_pk": lambda a: a.certificate.pk,
    "visit_pk": lambda a: a.visit.pk,
    "finding_action_pk": lambda a: a.finding_action.pk,
    "certification:assessor:membership_pk": lambda a: a[Role.ASSESSOR].pk,
    # A notification for Alpha's administrator; only its recipient reaches it.
    "notification_pk": lambda a: a.notification.pk,
    # Certification API.
    "assessorprofile-detail:pk": lambda a: a.assessor_profile.pk,
    "conflictdeclaration-detail:pk": lambda a: a.conflict.pk,
    "application-detail:pk": lambda a: a.application.pk,
    "application-accept:pk": lambda a: a.application.pk,
    "application-decline:pk": lambda a: a.application.pk,
    "application-withdraw:pk": lambda a: a.application.pk,
    "engagement-detail:pk": lambda a: a.engagement.pk,
    "engagement-team:pk": lambda a: a.engagement.pk,
    "engagement-report:pk": lambda a: a.engagement.pk,
    "engagement-sites:pk": lambda a: a.engagement.pk,
    "engagement-elements:pk": lambda a: a.engagement.pk,
    "engagement-plan-changes:pk": lambda a: a.engagement.pk,
    "sitevisit-detail:pk": lambda a: a.visit.pk,
    "finding-detail:pk": lambda a: a.finding.pk,
    "findingaction-detail:pk": lambda a: a.finding_action.pk,
    "findingaction-respond:pk": lambda a: a.finding_action.pk,
    "findingaction-verify:pk": lambda a: a.finding_action.pk,
    "decision-detail:pk": lambda a: a.decision.pk,
    "certificate-detail:pk": lambda a: a.certificate.pk,
    "regulatorconsent-detail:pk": lambda a: a.consent.pk,
    "regulatorconsent-withdraw:pk": lambda a: a.consent.pk,
    # Certification (reliance and reports): Alpha's regulator, and a report of Alpha's review.
    "regulator_pk": lambda a: a.regulator.pk,
    "engagement_reports:job:job_pk": lambda a: a.engagement_report.pk,
    "engagement_reports:download:job_pk": lambda a: a.engagement_report.pk,
    # Awards: a cycle still being prepared (the public sees none of it), its category in
    # Alpha's sector with Alpha as a candidate, and a judging criterion.
    "cycle_pk": lambda a: a.award_category.cycle_id,
    "category_pk": lambda a: a.award_category.pk,
    "judging_criterion_pk": lambda a: a.judging_criterion.pk,
    "award-cycle-detail:pk": lambda a: a.award_category.cycle_id,
    "award-category-detail:pk": lambda a: a.award_category.pk,
    # Sharing practice: Alpha's draft case study, its ended beacon designation and an
    # unpublished event it hosts (none of them public).
    "case_study_pk": lambda a: a.case_study.pk,
    "casestudy-detail:pk": lambda a: a.case_study.pk,
    "casestudy-submit:pk": lambda a: a.case_study.pk,
    "beacon_pk": lambda a: a.beacon.pk,
    "event_pk": lambda a: a.event.pk,
    # Judging and results: Alpha's nomination before a panel, a seat on it, a result
    # recorded (not published) and a certificate of recognition of it.
    "entry_pk": lambda a: a.award_entry.pk,
    "panel_pk": lambda a: a.award_panel.pk,
    "seat_pk": lambda a: a.award_panel.panel_judges.get().pk,
    "year": lambda a: a.award_entry.category.cycle.year,
    "result_pk": lambda a: a.award_result.pk,
    "awards:recognition:job:job_pk": lambda a: a.recognition_job.pk,
    "awards:recognition:download:job_pk": lambda a: a.recognition_job.pk,
}

# Routes the walk does not request as a second tenant, and why. Reviewed with each change.
EXEMPT = {
    "admin": "Django admin: only scheme administrators (staff) get in; "
    "see test_admin_turns_away_tenant_users.",
    "account_": "allauth's pages act only on the signed-in person or a secret key in the link.",
    "mfa_": "allauth's two-factor pages act only on the signed-in person.",
    "invitation_accept": "the link's token is the secret; an unknown token answers 404 "
    "(test_an_unknown_invitation_token_is_not_found).",
    "set_language": "not tenant data.",
    "certification:apply": "lists the accredited certification bodies, which the public "
    "register shows to anyone (tests/certification/test_pages.py).",
    "certificationbody-detail": "the API's public directory of certification bodies: anyone "
    "reads a body's accreditation; its day rate shows to the body and the scheme unit only "
    "(tests/certification/test_api.py).",
    "certificationbody-accreditation": "set by scheme administrators on a public directory "
    "entry: anyone else is refused with 403 (tests/certification/test_api.py).",
    "hosted_survey:": "the public survey form: the link's key is the secret, and the form shows "
    "only the survey's title and organisation (tests/surveys/test_hosted.py).",
    "register:": "public register: anyone may read it without signing in, and it names "
    "certificate holders, their certificates and bodies by design; it shows nothing but what "
    "the register publishes (tests/certification/test_register.py).",
    "awards:consent": "the nominee's emailed token is the secret; an unknown token answers "
    "404 (tests/awards/test_nominations.py).",
    "awards:winners": "published award results are public by design; an unpublished year "
    "answers 404 (tests/awards/test_results.py).",
    "award-result-": "published award results as open data: the rows of the winners' pages "
    "(tests/awards/test_results.py).",
    "awards:registration_cancel": "the confirmation email's token is the secret; an unknown "
    "token answers 404 (tests/awards/test_events.py).",
    "register-certificate-": "public register as open data (the API's list): the same rows as "
    "the register's pages (tests/certification/test_register.py).",
}

# Public content: anyone may read these, so they are walked for errors, not for 404s.
PUBLIC = {
    "standard:version": {"version": "2026"},
    "standard:criterion": {"version": "2026", "slug": "delivery"},
    "standard:element": {"version": "2026", "code": "2.1"},
    "sector-detail": {"slug": "sector-alpha"},
    "standard-detail": {"version": "2026"},
    "certificationbody-list": {},
}

SECOND_TENANT_ROLES = [
    Role.APPLICANT_ADMIN,
    Role.APPLICANT_EDITOR,
    Role.INTERNAL_ASSESSOR,
    Role.CB_MANAGER,
    Role.ASSESSOR,
    Role.REGULATOR,
]


def _walk(patterns, namespace=None, outer_args=()):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = entry.namespace
            inner = f"{namespace}:{ns}" if namespace and ns else (ns or namespace)
            # An include's own prefix may take arguments too (surveys/<survey_pk>/links/).
            args = (*outer_args, *entry.pattern.regex.groupindex)
            yield from _walk(entry.url_patterns, inner, args)
        elif isinstance(entry, URLPattern) and entry.name:
            name = f"{namespace}:{entry.name}" if namespace else entry.name
            yield name, tuple(sorted({*outer_args, *entry.pattern.regex.groupindex}))


def all_routes():
    """Every named route once per set of arguments, in a stable order."""
    return sorted(set(_walk(get_resolver().url_patterns)))


def _exempt(name):
    return next((reason for prefix, reason in EXEMPT.items() if name.startswith(prefix)), None)


def _kwargs_for(name, args, alpha):
    values = {}
    for arg in args:
        key = f"{name}:{arg}" if f"{name}:{arg}" in KWARGS else arg
        if key not in KWARGS:
            pytest.fail(
                f"Route {name!r} takes {arg!r}, which the tenancy walk does not know. "
                "Add it to KWARGS (an object of tenant Alpha) or EXEMPT (with a reason)."
            )
        values[arg] = KWARGS[key](alpha)
    return values


def alpha_names(alpha):
    return [
        alpha.applicant.name,
        alpha.unit.name,
        alpha.site.name,
        alpha.certification_body.name,
        alpha.regulator.name,
        alpha[Role.APPLICANT_EDITOR].user.email,
        alpha.invitation.email,
        alpha.evidence.title,
        "Alpha narrative about complaints",
        "Alpha commits to the standard",
        "Alpha Residents Survey",
        "Alpha Tenure",
        "ALPHA-RESPONDENT-1",
        "alpha-results.csv",
        "Alpha scope note",
        "Alpha finding note",
        "Alpha action to close the gap",
        "Alpha visit observations",
        "Alpha conflict details",
        "Alpha notification subject",
        "Alpha decision reasons",
        "Alpha Mobile Libraries",
        alpha.certificate.number,
        "Alpha award reason",
        "Alpha case study title",
        "Alpha beacon reason",
        "Alpha event title",
        "Alpha Nominee Team",
        "Alpha award result reasons",
    ]


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    """Alpha with one of everything, and a second tenant, Beta, built once for the module:
    each test runs in a savepoint of this transaction and is rolled back to it."""
    media = tmp_path_factory.mktemp("walk-media")
    with (
        django_db_blocker.unblock(),
        services_for_tests(),
        override_settings(MEDIA_ROOT=media),
        translation.override("en"),
        transaction.atomic(),
    ):
        if current_standard() is None:
            load_standard()
        alpha = build_tenant("Alpha")
        _alpha_reports(alpha)
        beta = build_tenant("Beta")
        yield alpha, beta
        transaction.set_rollback(True)


@pytest.fixture
def alpha(world, db):
    return world[0]


@pytest.fixture
def beta(world, db):
    return world[1]


@pytest.fixture
def alpha_reports(alpha):
    return alpha


def _alpha_reports(alpha):
    """Tenant Alpha's self-assessment and a finished gap report of it, with its file."""
    from django.core.files.base import ContentFile

    from assessments.models import ReportJob
    from assessments.services import (
        RatingInput,
        commitment_make,
        rating_save,
        self_assessment_start,
    )

    admin = alpha[Role.APPLICANT_ADMIN]
    alpha.self_assessment = self_assessment_start(membership=admin)
    alpha.rating = alpha.self_assessment.ratings.get(element__code="2.1")
    rating_save(
        membership=admin,
        rating=alpha.rating,
        expected_version=0,
        data=RatingInput("partial", "Alpha narrative about complaints", [alpha.evidence]),
    )
    alpha.action = alpha.self_assessment.actions.get()
    commitment_make(membership=admin, statement="Alpha commits to the standard")
    alpha.report_job = ReportJob.objects.create(
        self_assessment=alpha.self_assessment,
        requested_by=admin.user,
        status=ReportJob.Status.DONE,
        progress=100,
    )
    alpha.report_job.file.save("alpha-gap-report.pdf", ContentFile(b"%PDF-1.7 Alpha"))
    _alpha_survey(alpha, admin)
    # Certification: a certificate, an annual review under way, and what hangs off them.
    from ..certification.conftest import build_certified

    build_certified(alpha)
    # Certification (reliance and reports): a finished assessment report of Alpha's review.
    from certification.models import ReportJob as EngagementReportJob

    alpha.engagement_report = EngagementReportJob.objects.create(
        engagement=alpha.engagement,
        requested_by=alpha[Role.CB_MANAGER].user,
        status=EngagementReportJob.Status.DONE,
        progress=100,
    )
    alpha.engagement_report.file.save("alpha-assessment-report.pdf", ContentFile(b"%PDF-1.7 Alpha"))
    # Notifications: one for Alpha's administrator.
    from organisations.models import Notification

    alpha.notification = Notification.objects.create(
        recipient=admin.user,
        organisation=alpha.applicant,
        key="alpha-notification",
        subject="Alpha notification subject",
        body="Alpha notification body",
    )
    # Certification (API): decisions whose reasons are Alpha's own, so the decision lists
    # are proven not to show them; suspended then reinstated, the certificate stays active.
    from certification import decisions as certification_decisions

    for kind in ("suspend", "reinstate"):
        certification_decisions.decision_on_certificate(
            membership=alpha[Role.CB_MANAGER],
            certificate=alpha.certificate,
            kind=kind,
            reasons="Alpha decision reasons",
        )
    alpha.certificate.refresh_from_db()
    # Benchmarking: a peer group of Alpha's sector, which Alpha has joined.
    from benchmarking.models import PeerGroup, PeerGroupMember

    alpha.peer_group = PeerGroup.objects.create(
        sector=alpha.applicant.sector, name="Alpha Mobile Libraries"
    )
    PeerGroupMember.objects.create(
        peer_group=alpha.peer_group, organisation=alpha.applicant, joined_by=admin.user
    )
    # A finished benchmark report PDF of Alpha's.
    from benchmarking.models import ReportJob as BenchmarkReportJob

    alpha.benchmark_report = BenchmarkReportJob.objects.create(
        organisation=alpha.applicant,
        year=2025,
        requested_by=admin.user,
        status=BenchmarkReportJob.Status.DONE,
        progress=100,
    )
    alpha.benchmark_report.file.save("alpha-benchmark-report.pdf", ContentFile(b"%PDF-1.7 Alpha"))
    _alpha_award_category(alpha)
    _alpha_sharing(alpha)
    _alpha_judging(alpha)
    return alpha


def _alpha_award_category(alpha):
    """An award cycle being prepared, with a judging criterion and a category of Alpha's
    sector whose shortlist names Alpha."""
    import datetime

    from django.utils import timezone

    from awards.models import AwardCycle, Candidate, Category, JudgingCriterion
    from standard.selectors import current_standard

    opens = timezone.localdate() + datetime.timedelta(days=60)
    cycle = AwardCycle.objects.create(
        year=opens.year + 5,
        title="Awards being prepared",
        nominations_open=opens,
        nominations_close=opens + datetime.timedelta(days=30),
        judging_ends=opens + datetime.timedelta(days=60),
    )
    alpha.judging_criterion = JudgingCriterion.objects.create(
        cycle=cycle, title="Impact", description="What changed for customers."
    )
    alpha.award_category = Category.objects.create(
        cycle=cycle,
        criterion=current_standard().criteria.get(slug="timeliness"),
        sector=alpha.applicant.sector,
        kind=Category.Kind.BEST,
        level=Category.Level.ORGANISATION,
    )
    Candidate.objects.create(
        category=alpha.award_category,
        organisation=alpha.applicant,
        rank=1,
        score=2.5,
        reasons=["Alpha award reason"],
        computed_at=timezone.now(),
    )


def _alpha_judging(alpha):
    """A past cycle's team category in Alpha's sector with Alpha's nomination before a
    panel (one judge, from elsewhere), a result recorded but not published, and a built
    certificate of recognition of it."""
    import datetime

    from django.core.files.base import ContentFile

    from awards.models import (
        AwardCycle,
        Category,
        Entry,
        Panel,
        PanelJudge,
        RecognitionJob,
        Result,
    )
    from standard.selectors import current_standard

    from ..factories import OrganisationFactory

    cycle = AwardCycle.objects.create(
        year=2000,
        title="Awards 2000",
        nominations_open=datetime.date(2000, 1, 10),
        nominations_close=datetime.date(2000, 3, 10),
        judging_ends=datetime.date(2000, 5, 10),
    )
    category = Category.objects.create(
        cycle=cycle,
        criterion=current_standard().criteria.get(slug="delivery"),
        sector=alpha.applicant.sector,
        kind=Category.Kind.BEST,
        level=Category.Level.TEAM,
    )
    admin = alpha[Role.APPLICANT_ADMIN]
    alpha.award_entry = Entry.objects.create(
        category=category,
        organisation=alpha.applicant,
        source=Entry.Source.NOMINATION,
        status=Entry.Status.SUBMITTED,
        nominee_name="Alpha Nominee Team",
        nominee_email="team@alpha.example",
        statement="Alpha nomination statement",
        consent_token="alpha-consent-token",
        nominated_by=admin,
    )
    alpha.award_panel = Panel.objects.create(cycle=cycle, name="Walk panel")
    alpha.award_panel.categories.add(category)
    judges = OrganisationFactory(name="Walk Judges")
    PanelJudge.objects.create(
        panel=alpha.award_panel,
        judge=member(judges, Role.APPLICANT_EDITOR, email="judge@walk.example"),
        chair=True,
    )
    alpha.award_result = Result.objects.create(
        category=category,
        entry=alpha.award_entry,
        place=Result.Place.WINNER,
        reasons="Alpha award result reasons",
        recorded_by=admin,
    )
    alpha.recognition_job = RecognitionJob.objects.create(
        result=alpha.award_result,
        requested_by=admin.user,
        status=RecognitionJob.Status.DONE,
        progress=100,
    )
    alpha.recognition_job.file.save("alpha-recognition.pdf", ContentFile(b"%PDF-1.7 Alpha"))


def _alpha_sharing(alpha):
    """A draft case study of Alpha's, a beacon designation of Alpha's that ended early,
    and an unpublished event Alpha hosts."""
    import datetime

    from django.utils import timezone

    from awards.models import Beacon, CaseStudy, Event
    from standard.selectors import current_standard

    admin = alpha[Role.APPLICANT_ADMIN]
    timeliness = current_standard().criteria.get(slug="timeliness")
    alpha.case_study = CaseStudy.objects.create(
        organisation=alpha.applicant,
        criterion=timeliness,
        title="Alpha case study title",
        summary="Alpha case study summary",
        body="Alpha case study body",
        written_by=admin,
    )
    today = timezone.localdate()
    alpha.beacon = Beacon.objects.create(
        organisation=alpha.applicant,
        criterion=timeliness,
        reason="Alpha beacon reason",
        designated_by=admin,
        starts_on=today - datetime.timedelta(days=30),
        ends_on=today + datetime.timedelta(days=700),
        ended_early_on=today,
    )
    alpha.event = Event.objects.create(
        kind=Event.Kind.SHARING_DAY,
        title="Alpha event title",
        description="Alpha event description",
        starts_at=timezone.now() + datetime.timedelta(days=30),
        location="Alpha Civic Centre",
        capacity=10,
        host=alpha.applicant,
    )


def _alpha_survey(alpha, admin):
    """Tenant Alpha's survey with one of everything that hangs off it."""
    import datetime

    from django.core.files.base import ContentFile

    from surveys import services as survey_services
    from surveys.models import ImportJob, ReportJob, Response, SurveyInvitation, SurveyLink

    alpha.survey = survey_services.survey_create(
        membership=admin,
        data=survey_services.SurveyInput(
            title="Alpha Residents Survey",
            period_start=datetime.date(2025, 4, 1),
            period_end=datetime.date(2026, 3, 31),
            channels=["online"],
            sampling_approach="random",
            mode="online",
        ),
    )
    survey_services.question_add(
        membership=admin, survey=alpha.survey, wording="Alpha question", kind="yes_no"
    )
    survey_services.group_add(
        membership=admin, survey=alpha.survey, label="Alpha Tenure", values=["Own", "Rent"]
    )
    alpha.import_job = ImportJob.objects.create(
        survey=alpha.survey,
        original_name="alpha-results.csv",
        sha256="0" * 64,
        file_format="csv",
        status=ImportJob.Status.INVALID,
        errors=[{"row": 2, "column": "overall", "value": "9", "reason": "Alpha reason"}],
        error_count=1,
        uploaded_by=admin.user,
    )
    alpha.import_job.file.save("alpha-results.csv", ContentFile(b"id,overall\nA,9\n"))
    alpha.import_job.errors_file.save("alpha-errors.csv", ContentFile(b"row,column\n2,overall\n"))
    Response.objects.create(
        survey=alpha.survey, respondent_id="ALPHA-RESPONDENT-1", source="import", overall=5
    )
    survey_services.survey_responses_changed(survey=alpha.survey)
    alpha.survey_link = SurveyLink.objects.create(survey=alpha.survey, channel="online")
    SurveyInvitation.objects.create(link=alpha.survey_link)
    alpha.survey_report = ReportJob.objects.create(
        survey=alpha.survey, requested_by=admin.user, status=ReportJob.Status.DONE, progress=100
    )
    alpha.survey_report.file.save("alpha-survey-report.pdf", ContentFile(b"%PDF-1.7 Alpha"))


@pytest.mark.parametrize("role", SECOND_TENANT_ROLES)
def test_no_route_shows_or_reaches_another_tenants_data(
    role, alpha, alpha_reports, beta, standard, login
):
    client = login(beta[role])
    secrets = alpha_names(alpha)
    walked = 0
    for name, args in all_routes():
        if _exempt(name):
            continue
        object_args = [arg for arg in args if arg != "format"]
        if name in PUBLIC:
            kwargs = {**PUBLIC[name], "format": "json"}
            path = reverse(name, kwargs={k: v for k, v in kwargs.items() if k in args})
            assert client.get(path).status_code == 200, path
            continue
        if object_args:
            path = reverse(name, kwargs=_kwargs_for(name, args, alpha))
            for method in (client.get, client.post, client.put, client.patch, client.delete):
                response = method(path)
                assert response.status_code in (404, 405), (
                    f"{role} of another tenant got {response.status_code} "
                    f"from {method.__name__.upper()} {path}"
                )
        else:
            path = reverse(name, kwargs=_kwargs_for(name, args, alpha))
            response = client.get(path, HTTP_ACCEPT="text/html,application/json")
            assert response.status_code < 500, path
            # Exports stream: read them whole, so they are checked for names too.
            content = (
                b"".join(response.streaming_content) if response.streaming else response.content
            )
            body = content.decode(errors="replace")
            for secret in secrets:
                assert secret not in body, f"{path} shows {secret!r} to {role} of another tenant"
        walked += 1
    assert walked > 20


def test_every_route_is_walked_or_exempt_with_a_reason(alpha, alpha_reports):
    for name, args in all_routes():
        if _exempt(name) or name in PUBLIC:
            continue
        _kwargs_for(name, args, alpha)


def test_admin_turns_away_tenant_users(alpha, login):
    client = login(alpha[Role.APPLICANT_ADMIN])
    response = client.get(reverse("admin:organisations_organisation_changelist"))
    assert response.status_code in (302, 404)
    if response.status_code == 302:
        assert client.get(response.url).status_code == 404


def test_an_unknown_invitation_token_is_not_found(client, db):
    assert client.get(reverse("invitation_accept", args=["no-such-token"])).status_code == 404


def test_a_unit_does_not_see_its_headquarters(alpha, login):
    client = login(member(alpha.unit, Role.APPLICANT_ADMIN))
    assert client.get(reverse("organisation_detail", args=[alpha.unit.pk])).status_code == 200
    assert client.get(reverse("organisation_detail", args=[alpha.applicant.pk])).status_code == 404


def test_headquarters_sees_its_units(alpha, login):
    client = login(alpha[Role.APPLICANT_EDITOR])
    assert client.get(reverse("organisation_detail", args=[alpha.unit.pk])).status_code == 200


def test_scheme_administrators_reach_the_admin(scheme, login):
    client = login(scheme[Role.SCHEME_ADMIN])
    assert client.get(reverse("admin:organisations_organisation_changelist")).status_code == 200


# A regulator with Alpha's consent ---------------------------------------------------------

# Routes naming Alpha's objects (as KWARGS gives them) that the regulator Alpha consented
# to reads: they answer GET (or 405), and refuse a change with 403 or 405, never 404 as
# if unknown. Every other route naming Alpha's objects answers it 404, as to a stranger.
RELYING_REGULATOR_READS = {
    "reliance:organisation": "the reliance page of Alpha",
    "reliance:organisation_csv": "its CSV",
    "certificate-detail": "Alpha's certificate",
    "certificates:pdf": "its PDF, as for everyone who reads the certificate",
    "decision-detail": "the decision that issued the certificate",
    "regulatorconsent-detail": "Alpha's consent to this regulator",
    "regulatorconsent-withdraw": "the same consent; only Alpha's administrators withdraw it",
}


def relying_regulator_must_not_see(alpha):
    """Alpha's names minus what a relying regulator reads (the organisation, its body and
    certificate, the certificate's decisions and scope), and the working of assessments:
    the review under way, draft and decided findings' notes, an assessor's note on an
    action, and the surveys other than the latest one that meets the method."""
    may_see = {
        alpha.applicant.name,
        alpha.certification_body.name,
        alpha.regulator.name,
        alpha.certificate.number,
        "Alpha decision reasons",
        "Alpha scope note",
    }
    return [name for name in alpha_names(alpha) if name not in may_see] + [
        "Alpha review under way",
        "Alpha decided finding note",
        "Alpha evidence reviewed",
        "Alpha assessor's verification note",
        "Alpha Earlier Qualifying Survey",
    ]


@pytest.fixture
def alpha_relied_on(alpha, alpha_reports):
    """Alpha as its regulator relies on it (the consent is `build_certified`'s): the
    annual review under way has a summary, the decided assessment's gap a note, evidence
    and an assessor's note on its action; the survey of the walk does not meet the
    method, an earlier one does, and the latest one that does is `qualifying_survey`."""
    import datetime

    from certification.models import Engagement, Finding, FindingAction
    from surveys.models import Survey

    Engagement.objects.filter(pk=alpha.engagement.pk).update(summary="Alpha review under way")
    decided = Finding.objects.get(engagement=alpha.decision.engagement, element__code="2.1")
    Finding.objects.filter(pk=decided.pk).update(
        notes="Alpha decided finding note", evidence_reviewed="Alpha evidence reviewed"
    )
    FindingAction.objects.filter(finding=decided).update(
        verification_note="Alpha assessor's verification note"
    )
    alpha.decided_finding = decided
    Survey.objects.filter(pk=alpha.survey.pk).update(method_meets=False)
    for title, period_end in (
        ("Alpha Earlier Qualifying Survey", datetime.date(2024, 3, 31)),
        ("Alpha Qualifying Survey", datetime.date(2026, 6, 30)),
    ):
        survey = Survey.objects.get(pk=alpha.survey.pk)
        survey.pk = None
        survey.title, survey.period_start, survey.period_end = title, period_end, period_end
        survey.method_meets = True
        survey.save()
    alpha.qualifying_survey = survey
    return alpha


def test_a_regulator_with_consent_reads_decided_work_only(alpha, alpha_relied_on, login):
    client = login(alpha[Role.REGULATOR])
    secrets = relying_regulator_must_not_see(alpha)
    for name, args in all_routes():
        if _exempt(name) or name in PUBLIC:
            continue
        path = reverse(name, kwargs=_kwargs_for(name, args, alpha))
        if not [arg for arg in args if arg != "format"]:
            response = client.get(path, HTTP_ACCEPT="text/html,application/json")
            assert response.status_code < 500, path
            _assert_none_shown(response, secrets, path)
            continue
        reads = name in RELYING_REGULATOR_READS
        for method in (client.get, client.post, client.put, client.patch, client.delete):
            response = method(path)
            if reads and method.__name__ == "get":
                assert response.status_code in (200, 405), f"GET {path}"
                _assert_none_shown(response, secrets, path)
            else:
                allowed = (403, 405) if reads else (404, 405)
                assert response.status_code in allowed, (
                    f"the relying regulator got {response.status_code} "
                    f"from {method.__name__.upper()} {path}"
                )


def test_a_regulator_with_consent_still_reads_what_it_relies_on(alpha, alpha_relied_on, login):
    client = login(alpha[Role.REGULATOR])

    certificates = client.get("/api/certificates/").json()["results"]
    findings = client.get("/api/findings/", {"engagement": alpha.decision.engagement_id}).json()
    surveys = client.get("/api/surveys/").json()["results"]
    page = client.get(reverse("reliance:organisation", args=[alpha.applicant.pk])).content

    assert [c["number"] for c in certificates] == [alpha.certificate.number]
    assert findings["count"] == alpha.decision.engagement.findings.count()
    assert alpha.decided_finding.pk in {f["id"] for f in findings["results"]}
    assert [s["title"] for s in surveys] == ["Alpha Qualifying Survey"]
    assert alpha.certificate.number in page.decode()
    assert "Alpha Qualifying Survey" in page.decode()


def _assert_none_shown(response, secrets, path):
    content = b"".join(response.streaming_content) if response.streaming else response.content
    body = content.decode(errors="replace")
    for secret in secrets:
        assert secret not in body, f"{path} shows {secret!r} to the relying regulator"
