"""The benchmark refresh: organisations' scores and their sectors' distributions, worked
out from the surveys' stored summaries, and what starts a refresh."""

import datetime

import numpy as np
import pandas as pd
import pytest
from django.utils import timezone

from benchmarking import services, tasks
from benchmarking.models import (
    OrganisationScore,
    PeerGroup,
    PeerGroupMember,
    Refresh,
    SectorFigure,
)
from certification.models import Certificate, CertificateEvent
from organisations.models import Organisation, Role, Sector

from ..factories import OrganisationFactory, SectorFactory, UserFactory
from .conftest import MEASURES, REFRESH_DAY, refresh, summary_of

TODAY = REFRESH_DAY


@pytest.fixture(autouse=True)
def dashboard_refreshes(monkeypatch):
    """The dashboards' own figures have their tests; here, only which sectors were asked."""
    asked = []
    monkeypatch.setattr(
        services, "dashboard_figures_refresh", lambda *, sector, now: asked.append(sector)
    )
    return asked


def sector_figure(sector, measure="overall", year=2025, **where):
    return SectorFigure.objects.get(
        sector=sector,
        peer_group=None,
        region=where.get("region", ""),
        legal_form=where.get("legal_form", ""),
        year=year,
        measure=measure,
    )


def score_rows():
    return sorted(
        OrganisationScore.objects.values_list("organisation", "year", "measure", "score", "holder")
    )


def figure_rows(sector):
    fields = [
        "peer_group_id",
        "region",
        "legal_form",
        "year",
        "measure",
        "organisations",
        "suppressed",
        *SectorFigure.FIGURES,
    ]
    return sorted(
        tuple(str(value) for value in row)
        for row in SectorFigure.objects.filter(sector=sector).values_list(*fields)
    )


# Figures -------------------------------------------------------------------------------


def test_the_figures_equal_a_recount_with_pandas(sector, scored_survey):
    field = {
        "A": (3.1, 220),
        "B": (3.6, 400),
        "C": (3.9, 380),
        "D": (4.05, 510),
        "E": (4.3, 150),
        "F": (2.8, 600),
        "G": (4.6, 300),
    }
    for name, (mean, n) in field.items():
        organisation = OrganisationFactory(name=f"Library {name}", sector=sector)
        means = {measure: mean - 0.1 * k for k, measure in enumerate(MEASURES)}
        scored_survey(organisation, year=2025, means=means, n=n)

    refresh(sector)

    for k, measure in enumerate(MEASURES):
        rows = pd.DataFrame(
            [summary_of({measure: mean - 0.1 * k}, n=n)[measure] for mean, n in field.values()]
        )
        scores = (rows["mean"] - 1) * 25
        figure = sector_figure(sector, measure)
        assert figure.organisations == 7
        assert not figure.suppressed
        assert figure.responses == rows["count"].sum()
        assert figure.mean == pytest.approx(scores.mean())
        assert figure.sd == pytest.approx(scores.std())
        assert figure.deciles == pytest.approx(list(np.percentile(scores, range(10, 100, 10))))
        assert figure.lower_quartile == pytest.approx(scores.quantile(0.25))
        assert figure.median == pytest.approx(scores.median())
        assert figure.upper_quartile == pytest.approx(scores.quantile(0.75))
        assert figure.share_satisfied == pytest.approx((rows["satisfied"] / rows["count"]).mean())


def test_each_organisation_gets_its_scores_on_0_to_100(sector, make_field):
    first, *_ = make_field(sector, [4.2, 3.0, 3.5, 4.0, 4.4], year=2025)

    refresh(sector)

    score = OrganisationScore.objects.get(organisation=first, year=2025, measure="delivery")
    assert score.score == pytest.approx(80.0)
    assert (score.count, score.mean, score.satisfied) == (400, 4.2, round(0.85 * 400))
    assert (score.sector, score.region, score.legal_form) == (sector, "london", "public")
    assert OrganisationScore.objects.filter(sector=sector).count() == 5 * len(MEASURES)


def test_surveys_that_miss_the_method_and_other_years_are_left_out(
    sector, make_field, scored_survey
):
    organisations = make_field(sector, [3.0, 3.5, 4.0, 4.5, 3.8], year=2025)
    scored_survey(organisations[0], year=2025, means=1.0, meets=False, month=11)
    scored_survey(organisations[1], year=2024, means=1.0)

    refresh(sector)

    figure = sector_figure(sector)
    assert figure.organisations == 5
    assert figure.mean == pytest.approx(np.mean([(m - 1) * 25 for m in [3.0, 3.5, 4.0, 4.5, 3.8]]))
    assert sector_figure(sector, year=2024).organisations == 1
    assert set(OrganisationScore.objects.values_list("year", flat=True)) == {2024, 2025}


def test_the_latest_survey_in_a_year_wins(sector, make_field, scored_survey):
    organisations = make_field(sector, [3.0, 3.5, 4.0, 4.5, 3.8], year=2025)
    later = scored_survey(organisations[0], year=2025, means=4.8, month=10)

    refresh(sector)

    score = OrganisationScore.objects.get(
        organisation=organisations[0], year=2025, measure="overall"
    )
    assert score.survey == later
    assert score.mean == 4.8


def test_a_survey_without_fieldwork_dates_counts_in_the_year_its_period_ends(
    sector, make_field, scored_survey
):
    organisation = make_field(sector, [3.0], year=2025)[0]
    survey = scored_survey(organisation, year=2024, means=3.4)
    survey.fieldwork_start = survey.fieldwork_end = None
    survey.save()

    refresh(sector)

    assert OrganisationScore.objects.get(organisation=organisation, year=2024, measure="overall")


def test_an_organisation_holds_a_certificate_as_it_stood_at_the_end_of_each_year(
    sector, make_field, scored_survey, alpha
):
    holder, lapsed, never = make_field(sector, [4.0, 3.0, 3.5], year=2024)
    for organisation in (holder, lapsed, never):
        scored_survey(organisation, year=2025, means=3.9, month=12)
    certificate(holder, alpha, [("2023-05-01", "active"), ("2024-06-01", "suspended")])
    certificate(lapsed, alpha, [("2024-02-01", "active"), ("2025-07-01", "lapsed")])

    refresh(sector, today=datetime.date(2026, 1, 15))

    held = set(
        OrganisationScore.objects.filter(measure="overall", holder=True).values_list(
            "organisation__name", "year"
        )
    )
    assert held == {(holder.name, 2024), (holder.name, 2025), (lapsed.name, 2024)}


def test_a_unit_is_covered_by_its_headquarters_certificate(sector, make_field, alpha):
    headquarters = make_field(sector, [4.0], name="County library service")[0]
    unit, named, other = make_field(sector, [3.5, 3.6, 3.7], name="Branch", parent=headquarters)
    whole = certificate(headquarters, alpha, [("2025-01-10", "active")])

    refresh(sector)

    def holders():
        return set(
            OrganisationScore.objects.filter(measure="overall", holder=True).values_list(
                "organisation", flat=True
            )
        )

    assert holders() == {headquarters.pk, unit.pk, named.pk, other.pk}
    whole.units.set([named])
    refresh(sector)
    assert holders() == {headquarters.pk, named.pk}


def certificate(holder, tenant, history):
    """A certificate of `holder` whose status changed as in `history` (date, status)."""
    first = datetime.date.fromisoformat(history[0][0])
    certificate = Certificate.objects.create(
        number=f"CV-{holder.pk:06d}",
        holder=holder,
        certification_body=tenant.certification_body,
        application=_application(holder, tenant),
        holder_name=holder.name,
        scope="The whole service",
        standard_id=holder.surveys.first().standard_id,
        original_issue_date=first,
        issue_date=first,
        next_review_due=first + datetime.timedelta(days=365),
        cycle_expires=first + datetime.timedelta(days=3 * 365),
        status_changed_on=first,
        status=history[-1][1],
    )
    for day, status in history:
        CertificateEvent.objects.create(
            certificate=certificate,
            kind="issued" if status == "active" else status,
            happened_on=datetime.date.fromisoformat(day),
            status_after=status,
        )
    return certificate


def _application(holder, tenant):
    from certification.models import Application

    return Application.objects.create(
        applicant=holder,
        certification_body=tenant.certification_body,
        status=Application.Status.ACCEPTED,
        submitted_by=tenant[Role.APPLICANT_ADMIN].user,
    )


# Runs ----------------------------------------------------------------------------------


def test_the_refresh_of_one_sector_leaves_the_others_alone(sector, make_field):
    other = SectorFactory(slug="museums", name="Museums")
    make_field(sector, [3.0, 3.5, 4.0, 4.5, 3.8])
    make_field(other, [3.2, 3.4, 4.1, 4.2, 3.9], name="Museum")
    refresh(other)
    before = figure_rows(other)
    computed = set(SectorFigure.objects.filter(sector=other).values_list("computed_at", flat=True))
    make_field(other, [1.0], name="New museum")

    run = refresh(sector)

    assert run.sector == sector
    assert figure_rows(other) == before
    assert {
        *SectorFigure.objects.filter(sector=other).values_list("computed_at", flat=True)
    } == computed
    assert sector_figure(sector).organisations == 5


def test_running_it_twice_gives_the_same_rows(sector, make_field):
    organisations = make_field(sector, [3.0, 3.5, 4.0, 4.5, 3.8, 2.9], region="wales")
    group = PeerGroup.objects.create(sector=sector, name="Mobile libraries")
    for organisation in organisations[:3]:
        PeerGroupMember.objects.create(
            peer_group=group, organisation=organisation, joined_by=UserFactory()
        )
    refresh(sector)
    first = figure_rows(sector)
    scores = sorted(
        OrganisationScore.objects.values_list("organisation", "year", "measure", "score")
    )

    refresh()

    assert figure_rows(sector) == first
    assert (
        sorted(OrganisationScore.objects.values_list("organisation", "year", "measure", "score"))
        == scores
    )


def test_a_refresh_records_when_it_ended_and_works_out_the_dashboards(
    sector, make_field, dashboard_refreshes
):
    other = SectorFactory(slug="museums", name="Museums")
    make_field(sector, [3.0])

    run = refresh()
    assert set(dashboard_refreshes) == {*Sector.objects.all(), None}
    assert {sector, other} < set(dashboard_refreshes)
    refresh(sector)
    assert dashboard_refreshes[-2:] == [sector, None]

    run.refresh_from_db()
    assert run.trigger == Refresh.Trigger.MANUAL
    assert run.sector is None
    assert run.finished_at is not None and run.failure == ""


def test_a_failed_refresh_says_why_and_raises(sector, make_field, monkeypatch):
    make_field(sector, [3.0])

    def broken(**kwargs):
        raise RuntimeError("the dashboards could not be worked out")

    monkeypatch.setattr(services, "dashboard_figures_refresh", broken)
    with pytest.raises(RuntimeError):
        refresh(sector)

    run = Refresh.objects.get()
    assert run.finished_at is not None
    assert "the dashboards could not be worked out" in run.failure


def test_the_nightly_task_refreshes_every_sector(sector, make_field):
    other = SectorFactory(slug="museums", name="Museums")
    make_field(sector, [3.0, 3.5])
    make_field(other, [4.0], name="Museum")

    tasks.refresh_benchmarks.delay()

    run = Refresh.objects.get()
    assert (run.trigger, run.sector) == (Refresh.Trigger.NIGHTLY, None)
    assert SectorFigure.objects.filter(
        sector=other, peer_group=None, region="", legal_form=""
    ).exists()
    assert sector_figure(sector).organisations == 2


def test_only_applicant_organisations_count(sector, make_field, scored_survey):
    regulator = OrganisationFactory(sector=sector, kind=Organisation.Kind.REGULATOR)
    scored_survey(regulator, means=3.0)
    make_field(sector, [4.0])

    refresh(sector)

    assert sector_figure(sector).organisations == 1


# What starts a refresh -----------------------------------------------------------------


def recent_survey(alpha, **changes):
    """A survey of alpha's headquarters that meets the method once it has results: its
    population is as small as its invitations, so any result is precise enough."""
    from surveys.services import SurveyInput, survey_create

    ended = timezone.localdate() - datetime.timedelta(days=10)
    fields = {
        "title": "Library users survey",
        "period_start": ended - datetime.timedelta(days=60),
        "period_end": ended,
        "channels": ["telephone", "online"],
        "sampling_approach": "census",
        "mode": "online",
        "population": 3,
        "fieldwork_start": ended - datetime.timedelta(days=30),
        "fieldwork_end": ended,
        "invited_count": 3,
        "core_wording_confirmed": True,
    }
    data = SurveyInput(**{**fields, **changes})
    return survey_create(membership=alpha[Role.APPLICANT_ADMIN], data=data)


def test_an_import_refreshes_the_sector_at_once(
    alpha, standard, settings, tmp_path, django_capture_on_commit_callbacks
):
    from surveys import imports

    from ..surveys.test_import import GOOD_ROWS, csv_bytes, uploaded

    settings.MEDIA_ROOT = tmp_path
    admin = alpha[Role.APPLICANT_ADMIN]
    survey = recent_survey(alpha)
    job = uploaded(alpha, survey, csv_bytes(GOOD_ROWS), name="r.csv")

    with django_capture_on_commit_callbacks(execute=True):
        imports.import_job_confirm(
            membership=admin, job=job, mapping=imports.suggested_mapping(job)
        )

    run = Refresh.objects.get()
    assert (run.trigger, run.sector) == (Refresh.Trigger.IMPORT, alpha.applicant.sector)
    score = OrganisationScore.objects.get(organisation=alpha.applicant, measure="overall")
    assert (score.survey, score.count) == (survey, 3)


def test_results_of_a_survey_that_never_counted_leave_the_benchmarks_as_they_are(
    alpha, standard, django_capture_on_commit_callbacks
):
    from surveys.models import Response
    from surveys.services import survey_responses_changed

    survey = recent_survey(alpha, core_wording_confirmed=False)
    Response.objects.create(survey=survey, respondent_id="R1", source="import", overall=4)

    with django_capture_on_commit_callbacks(execute=True):
        survey_responses_changed(survey=survey)

    assert not survey.method_meets
    assert not Refresh.objects.exists()


def test_hosted_answers_share_one_refresh_a_minute(
    alpha, standard, django_capture_on_commit_callbacks
):
    from surveys import hosted

    admin = alpha[Role.APPLICANT_ADMIN]
    survey = hosted.hosted_open(
        membership=admin, survey=recent_survey(alpha), open=True, requires_token=False
    )
    link = hosted.link_create(membership=admin, survey=survey, channel="online", site=None)
    answers = {
        question.name: "4"
        for question in hosted.hosted_questions(survey)
        if question.section == "core"
    }

    for _ in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            hosted.answer_submit(survey=survey, link=link, answers=answers)

    run = Refresh.objects.get()
    assert (run.trigger, run.sector) == (Refresh.Trigger.IMPORT, alpha.applicant.sector)
    assert OrganisationScore.objects.filter(organisation=alpha.applicant).exists()


def test_a_certification_decision_refreshes_the_holders_sector(
    alpha, standard, scored_survey, django_capture_on_commit_callbacks
):
    from ..certification.conftest import build_certified

    earlier = timezone.localdate() - datetime.timedelta(days=45)
    scored_survey(alpha.applicant, year=earlier.year, month=earlier.month)

    with django_capture_on_commit_callbacks(execute=True):
        build_certified(alpha)

    run = Refresh.objects.filter(trigger=Refresh.Trigger.DECISION).first()
    assert run is not None and run.sector == alpha.applicant.sector
    score = OrganisationScore.objects.get(organisation=alpha.applicant, measure="overall")
    assert score.holder


def test_the_refresh_works_out_the_dashboards_figures_too(sector, make_field, monkeypatch):
    from benchmarking.models import DashboardFigure

    monkeypatch.undo()
    make_field(sector, [3.0, 3.5, 4.0, 4.5, 3.8])

    refresh(sector)

    assert DashboardFigure.objects.filter(sector=sector, year=0).count() == 2
    assert DashboardFigure.objects.filter(sector=None, year=0).count() == 2
