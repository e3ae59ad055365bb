"""Publication: the winners' page, awards on the register's holder pages, certificates of
recognition as PDF, and the public API of results."""

import pytest
from django.urls import reverse

from awards import judging
from awards.models import Entry, RecognitionJob, Result
from organisations.models import Role

from ..factories import member
from .conftest import move_cycle_to


@pytest.fixture
def published(cycle, make_holder, scheme, settings, tmp_path):
    """The cycle's results, published: Winning Homes wins the organisation category,
    Team Homes' contact centre wins the team one and Close Homes is highly commended."""
    settings.MEDIA_ROOT = tmp_path
    move_cycle_to(cycle, "judging")
    admin = scheme[Role.SCHEME_ADMIN]
    holders = {name: make_holder(f"{name} Homes") for name in ("Winning", "Team", "Close")}

    def entry(category, holder, **fields):
        return Entry.objects.create(
            category=category,
            organisation=holder.organisation,
            status=Entry.Status.SUBMITTED,
            **fields,
        )

    def record(entry, place, reasons):
        return judging.result_record(
            membership=admin, user=admin.user, entry=entry, place=place, reasons=reasons
        )

    results = {
        "best": record(
            entry(cycle.best, holders["Winning"], source=Entry.Source.EVIDENCE),
            "winner",
            "Every Timeliness element at compliance plus.",
        ),
        "team": record(
            entry(
                cycle.team,
                holders["Team"],
                source=Entry.Source.NOMINATION,
                nominee_name="Contact Centre",
                nominated_by=holders["Team"].admin,
            ),
            "winner",
            "Answered nine calls in ten within a minute.",
        ),
        "close": record(
            entry(cycle.best, holders["Close"], source=Entry.Source.EVIDENCE),
            "highly_commended",
            "A close second.",
        ),
    }
    judging.results_publish(membership=admin, cycle=cycle)
    cycle.refresh_from_db()
    return cycle, holders, results


def test_the_winners_page_lists_results_by_category_with_reasons(published, client):
    cycle, _holders, _results = published
    page = client.get(reverse("awards:winners", args=[cycle.year])).content.decode()
    assert "Winning Homes" in page and "Every Timeliness element at compliance plus." in page
    assert "Contact Centre" in page and "Highly commended" in page
    assert page.index("Winning Homes") < page.index("Close Homes")
    assert client.get(reverse("awards:winners", args=[cycle.year + 1])).status_code == 404


def test_a_superseded_result_is_not_published(published, client):
    cycle, _holders, results = published
    Result.objects.create(
        category=results["best"].category,
        entry=results["close"].entry,
        place="highly_commended",
        reasons="Corrected reasons.",
        recorded_by=results["best"].recorded_by,
        supersedes=results["close"],
    )
    page = client.get(reverse("awards:winners", args=[cycle.year])).content.decode()
    assert "Corrected reasons." in page and "A close second." not in page


def test_the_register_holder_page_shows_its_awards(published, client):
    cycle, holders, _results = published
    url = reverse("register:holder", args=[holders["Team"].organisation.pk])
    page = client.get(url).content.decode()
    assert "Awards" in page and "Contact Centre" in page
    assert reverse("awards:winners", args=[cycle.year]) in page


def test_nothing_shows_before_publication(cycle, make_holder, scheme, client):
    move_cycle_to(cycle, "judging")
    admin = scheme[Role.SCHEME_ADMIN]
    holder = make_holder("Early Homes")
    entry = Entry.objects.create(
        category=cycle.best,
        organisation=holder.organisation,
        source=Entry.Source.EVIDENCE,
        status=Entry.Status.SUBMITTED,
    )
    judging.result_record(
        membership=admin, user=admin.user, entry=entry, place="winner", reasons="Not yet public."
    )
    assert client.get(reverse("awards:winners", args=[cycle.year])).status_code == 404
    holder_page = client.get(reverse("register:holder", args=[holder.organisation.pk]))
    assert "Not yet public." not in holder_page.content.decode()
    assert client.get(reverse("award-result-list")).json()["count"] == 0


def test_a_holders_member_gets_the_certificate_of_recognition(
    published, login, django_capture_on_commit_callbacks
):
    _cycle, holders, results = published
    editor = member(holders["Team"].organisation, Role.APPLICANT_EDITOR, email="ed@team.example")
    client = login(editor)
    listing = client.get(reverse("awards:recognition_list")).content.decode()
    assert "Contact Centre" in listing and "Winning Homes" not in listing
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("awards:recognition:start", args=[results["team"].pk]))
    job = RecognitionJob.objects.get()
    assert response.url == reverse("awards:recognition:job", args=[job.pk])
    job.refresh_from_db()
    assert job.status == RecognitionJob.Status.DONE, job.error
    download = client.get(reverse("awards:recognition:download", args=[job.pk]))
    assert download["Content-Type"] == "application/pdf"
    assert b"".join(download.streaming_content).startswith(b"%PDF")


def test_only_the_holder_and_the_scheme_unit_get_the_certificate(
    published, login, scheme, django_capture_on_commit_callbacks
):
    _cycle, holders, results = published
    start = reverse("awards:recognition:start", args=[results["team"].pk])
    assert login(holders["Winning"].admin).post(start).status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        assert login(scheme[Role.SCHEME_ANALYST]).post(start).status_code == 302
    job = RecognitionJob.objects.get()
    stranger = login(holders["Close"].admin)
    assert stranger.get(reverse("awards:recognition:job", args=[job.pk])).status_code == 404
    assert stranger.get(reverse("awards:recognition:download", args=[job.pk])).status_code == 404


def test_the_api_lists_published_results_with_filters(published, client):
    cycle, holders, _results = published
    url = reverse("award-result-list")
    everything = client.get(url).json()
    assert everything["count"] == 3
    row = next(r for r in everything["results"] if r["nominee"] == "Contact Centre")
    assert row["year"] == cycle.year and row["level"] == "team" and row["place"] == "winner"
    assert row["sector"] == "housing" and row["criterion"] == "timeliness"

    def count(**params):
        return client.get(url, params).json()["count"]

    assert count(level="organisation") == 2
    assert count(kind="best", place="winner") == 2
    assert count(year=cycle.year + 1) == 0
    assert count(sector="health") == 0
    assert count(criterion="timeliness") == 3
    assert count(organisation=holders["Close"].organisation.pk) == 1
    assert client.get(url, {"level": "galactic"}).status_code == 400


def test_the_api_schema_describes_award_results(client, db):
    schema = client.get(reverse("api-schema"), HTTP_ACCEPT="application/json").json()
    assert "/api/award-results/" in schema["paths"]
