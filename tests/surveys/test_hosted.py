"""The hosted survey: customers answer through a link without signing in, the organisation
manages links, QR codes, opening and personal invitations."""

import csv
import datetime
import io
import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from organisations.models import Role
from surveys import hosted, views_hosted
from surveys.models import Channel, Response, Survey, SurveyInvitation
from surveys.services import SurveyInput, group_add, question_add, survey_create

SITE_URL = "https://customervoice.example"
EDITOR_ROLES = [Role.APPLICANT_ADMIN, Role.APPLICANT_EDITOR]
OTHER_TENANT_ROLES = [
    Role.APPLICANT_ADMIN,
    Role.APPLICANT_EDITOR,
    Role.INTERNAL_ASSESSOR,
    Role.CB_MANAGER,
    Role.ASSESSOR,
    Role.REGULATOR,
]


@pytest.fixture(autouse=True)
def _site_url(settings):
    settings.SITE_URL = SITE_URL


def new_survey(alpha, **changes):
    data = SurveyInput(
        title="Alpha customer survey 2026",
        period_start=datetime.date(2026, 1, 1),
        period_end=datetime.date(2026, 12, 31),
        channels=[Channel.FACE_TO_FACE, Channel.ONLINE],
        sampling_approach="census",
        mode="online",
        **changes,
    )
    return survey_create(membership=alpha[Role.APPLICANT_ADMIN], data=data)


@pytest.fixture
def survey(alpha, standard):
    survey = new_survey(alpha)
    return hosted.hosted_open(
        membership=alpha[Role.APPLICANT_ADMIN], survey=survey, open=True, requires_token=False
    )


@pytest.fixture
def link(alpha, survey):
    return hosted.link_create(
        membership=alpha[Role.APPLICANT_EDITOR],
        survey=survey,
        channel=Channel.FACE_TO_FACE,
        site=alpha.site,
    )


def form_url(link, token=None):
    if token:
        return reverse("hosted_survey:invitation", args=[link.key, token])
    return reverse("hosted_survey:form", args=[link.key])


def full_answers(survey, value="4"):
    return {q.name: value for q in hosted.hosted_questions(survey) if q.section == "core"}


def invitation_for(alpha, link):
    membership = alpha[Role.APPLICANT_ADMIN]
    return hosted.invitations_create(membership=membership, link=link, count=1)[0]


# Answering ----------------------------------------------------------------------------


def test_a_customer_answers_through_a_link(client, survey, link, alpha):
    page = client.get(form_url(link))
    assert page.status_code == 200
    assert "Very dissatisfied" in page.content.decode()

    response = client.post(form_url(link), full_answers(survey, "5"))

    assert response.status_code == 302
    assert response.url == reverse("hosted_survey:done", args=[link.key])
    stored = Response.objects.get(survey=survey)
    assert stored.source == Response.Source.HOSTED
    assert (stored.channel, stored.site) == (Channel.FACE_TO_FACE, alpha.site)
    assert stored.respondent_id.startswith("web-")
    assert stored.responded_on == timezone.localdate()
    assert (stored.overall, stored.staff_attitude) == (5, 5)
    survey.refresh_from_db()
    assert survey.response_count == 1
    assert survey.summary["overall"]["count"] == 1
    assert client.get(response.url).status_code == 200


def test_missing_answers_show_the_error_summary_and_store_nothing(client, survey, link):
    answers = full_answers(survey)
    del answers["delivery"]
    del answers["timeliness"]

    response = client.post(form_url(link), answers)

    body = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in body
    assert 'href="#q-delivery"' in body
    assert 'href="#q-timeliness"' in body
    assert 'id="q-delivery"' in body
    assert 'href="#q-overall"' not in body
    assert body.count("govuk-form-group--error") == 2
    assert not Response.objects.exists()


def test_an_answer_off_the_scale_is_refused(survey, link):
    answers = {**full_answers(survey), "overall": "7"}
    with pytest.raises(ValidationError) as error:
        hosted.answer_submit(survey=survey, link=link, answers=answers)
    assert "overall" in error.value.message_dict
    assert not Response.objects.exists()


def test_importance_is_asked_only_when_the_survey_asks_it(alpha, standard, survey, link):
    assert not any(q.name.startswith("importance_") for q in hosted.hosted_questions(survey))
    hosted.answer_submit(
        survey=survey, link=link, answers={**full_answers(survey), "importance_delivery": "5"}
    )
    assert Response.objects.get().importance_delivery is None

    with_importance = new_survey(alpha, includes_importance=True)
    hosted.hosted_open(
        membership=alpha[Role.APPLICANT_ADMIN],
        survey=with_importance,
        open=True,
        requires_token=False,
    )
    online = hosted.link_create(
        membership=alpha[Role.APPLICANT_ADMIN], survey=with_importance, channel=Channel.ONLINE
    )
    answers = {**full_answers(with_importance), "importance_delivery": "5"}
    stored = hosted.answer_submit(survey=with_importance, link=online, answers=answers)
    assert stored.importance_delivery == 5


def test_extra_questions_and_groups_take_only_their_answers(client, alpha, standard):
    admin = alpha[Role.APPLICANT_ADMIN]
    survey = new_survey(alpha)
    question_add(
        membership=admin, survey=survey, wording="Did you get what you needed?", kind="yes_no"
    )
    group_add(membership=admin, survey=survey, label="Area", values=["North", "South"])
    hosted.hosted_open(membership=admin, survey=survey, open=True, requires_token=False)
    link = hosted.link_create(membership=admin, survey=survey, channel=Channel.ONLINE)
    extra = next(q.name for q in hosted.hosted_questions(survey) if q.section == "extra")
    group = next(q.name for q in hosted.hosted_questions(survey) if q.section == "group")

    refused = client.post(form_url(link), {**full_answers(survey), extra: "maybe", group: "East"})
    assert refused.status_code == 200
    assert f'href="#q-{extra}"' in refused.content.decode()
    assert f'href="#q-{group}"' in refused.content.decode()

    answers = {**full_answers(survey), extra: "yes", group: "Prefer not to say"}
    assert client.post(form_url(link), answers).status_code == 302
    stored = Response.objects.get(survey=survey)
    assert stored.extra == {extra.removeprefix(hosted.EXTRA_PREFIX): "yes"}
    assert stored.groups == {"area": "Prefer not to say"}


def test_a_token_answers_once(client, alpha, survey, link):
    invitation = invitation_for(alpha, link)
    url = form_url(link, invitation.token)

    assert client.post(url, full_answers(survey)).status_code == 302
    again = client.get(url)
    second = client.post(url, full_answers(survey))

    assert "This link has already been used" in again.content.decode()
    assert "This link has already been used" in second.content.decode()
    assert Response.objects.filter(survey=survey).count() == 1
    invitation.refresh_from_db()
    assert invitation.used_at is not None


def test_an_invitation_read_before_it_was_used_cannot_answer_again(alpha, survey, link):
    invitation = invitation_for(alpha, link)
    stale = SurveyInvitation.objects.get(pk=invitation.pk)
    hosted.answer_submit(
        survey=survey, link=link, invitation=invitation, answers=full_answers(survey)
    )

    with pytest.raises(hosted.HostedUnavailable) as refusal:
        hosted.answer_submit(
            survey=survey, link=link, invitation=stale, answers=full_answers(survey)
        )

    assert refusal.value.reason == hosted.HostedUnavailable.TOKEN_USED
    assert Response.objects.count() == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent connections")
@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_answers_with_one_token_store_one(alpha, survey, link):
    invitation = invitation_for(alpha, link)
    start, outcomes = threading.Barrier(2), []

    def answer():
        try:
            start.wait()
            hosted.answer_submit(
                survey=Survey.objects.get(pk=survey.pk),
                link=link,
                invitation=SurveyInvitation.objects.get(pk=invitation.pk),
                answers=full_answers(survey),
            )
            outcomes.append("stored")
        except hosted.HostedUnavailable as refusal:
            outcomes.append(refusal.reason)
        finally:
            connection.close()

    threads = [threading.Thread(target=answer) for _n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["stored", hosted.HostedUnavailable.TOKEN_USED]
    assert Response.objects.filter(survey=survey).count() == 1


def test_a_closed_form_refuses(client, alpha, survey, link):
    hosted.hosted_open(
        membership=alpha[Role.APPLICANT_ADMIN], survey=survey, open=False, requires_token=False
    )

    page = client.get(form_url(link))
    posted = client.post(form_url(link), full_answers(survey))

    assert "This survey is closed" in page.content.decode()
    assert "This survey is closed" in posted.content.decode()
    assert not Response.objects.exists()


def test_a_survey_that_requires_tokens_refuses_the_open_link(client, alpha, survey, link):
    hosted.hosted_open(
        membership=alpha[Role.APPLICANT_ADMIN], survey=survey, open=True, requires_token=True
    )
    invitation = invitation_for(alpha, link)

    refused = client.post(form_url(link), full_answers(survey))
    accepted = client.post(form_url(link, invitation.token), full_answers(survey))

    assert "You need your personal link to answer" in refused.content.decode()
    assert accepted.status_code == 302
    assert Response.objects.count() == 1


def test_unknown_keys_and_tokens_are_not_found(client, survey, link):
    assert client.get(reverse("hosted_survey:form", args=["no-such-key"])).status_code == 404
    assert client.get(reverse("hosted_survey:done", args=["no-such-key"])).status_code == 404
    unknown = client.get(form_url(link, "no-such-token"))
    assert unknown.status_code == 404
    assert "This link is not right" in unknown.content.decode()


def test_the_public_form_shows_only_the_survey_title_and_organisation_name(client, alpha, link):
    body = client.get(form_url(link)).content.decode()

    assert "Alpha customer survey 2026" in body
    assert alpha.applicant.name in body
    private = [
        alpha.site.name,
        alpha.site.postcode,
        alpha.unit.name,
        alpha.evidence.title,
        alpha.certification_body.name,
        *(membership.user.email for membership in alpha.members.values()),
    ]
    for secret in private:
        assert secret not in body


def test_the_form_is_offered_in_welsh(client, link):
    response = client.get(f"/cy{form_url(link)}")
    assert response.status_code == 200
    assert '<html lang="cy"' in response.content.decode()


def test_answers_are_rate_limited_per_address(client, link):
    allowed = int(views_hosted.ANSWER_RATE.split("/")[0])
    for _n in range(allowed):
        assert client.post(form_url(link), {}).status_code == 200
    assert client.post(form_url(link), {}).status_code == 429
    other = client.post(form_url(link), {}, REMOTE_ADDR="192.0.2.7")
    assert other.status_code == 200


# Links and invitations ----------------------------------------------------------------


def test_a_link_to_another_organisations_site_is_refused(alpha, beta, survey):
    with pytest.raises(ValidationError) as error:
        hosted.link_create(
            membership=alpha[Role.APPLICANT_ADMIN],
            survey=survey,
            channel=Channel.FACE_TO_FACE,
            site=beta.site,
        )
    assert "site" in error.value.message_dict


def test_a_link_is_refused_for_a_channel_the_survey_does_not_cover(alpha, survey):
    with pytest.raises(ValidationError) as error:
        hosted.link_create(
            membership=alpha[Role.APPLICANT_ADMIN], survey=survey, channel=Channel.TELEPHONE
        )
    assert "channel" in error.value.message_dict


def test_a_duplicate_link_is_refused_with_a_clear_message(alpha, survey, link):
    with pytest.raises(ValidationError) as error:
        hosted.link_create(
            membership=alpha[Role.APPLICANT_ADMIN],
            survey=survey,
            channel=Channel.FACE_TO_FACE,
            site=alpha.site,
        )
    assert "already has a link" in error.value.messages[0]


def test_only_editors_change_links(alpha, survey):
    with pytest.raises(PermissionDenied):
        hosted.link_create(
            membership=alpha[Role.INTERNAL_ASSESSOR], survey=survey, channel=Channel.ONLINE
        )


@pytest.mark.parametrize("count", [0, hosted.MAX_INVITATIONS + 1])
def test_invitations_come_in_batches_of_1_to_10000(alpha, link, count):
    with pytest.raises(ValidationError):
        hosted.invitations_create(membership=alpha[Role.APPLICANT_ADMIN], link=link, count=count)


def test_the_invitation_csv_lists_full_addresses_of_unused_tokens(alpha, survey, link, login):
    invitations = hosted.invitations_create(
        membership=alpha[Role.APPLICANT_ADMIN], link=link, count=3
    )
    hosted.answer_submit(
        survey=survey, link=link, invitation=invitations[0], answers=full_answers(survey)
    )

    response = login(alpha[Role.APPLICANT_EDITOR]).get(
        reverse("survey_links:invitations_csv", args=[survey.pk, link.pk])
    )

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [row["token"] for row in rows] == [i.token for i in invitations[1:]]
    for row in rows:
        assert row["address"] == f"{SITE_URL}/s/{link.key}/{row['token']}/"


def test_the_qr_codes_are_served(alpha, survey, link, login):
    client = login(alpha[Role.INTERNAL_ASSESSOR])

    svg = client.get(reverse("survey_links:qr_svg", args=[survey.pk, link.pk]))
    png = client.get(reverse("survey_links:qr_png", args=[survey.pk, link.pk]))

    assert svg.status_code == 200
    assert svg["Content-Type"] == "image/svg+xml"
    assert svg.content.startswith(b"<svg")
    assert png.status_code == 200
    assert png.content.startswith(b"\x89PNG")
    assert "attachment" in png["Content-Disposition"]


def test_an_editor_adds_a_link_opens_the_form_and_creates_invitations(alpha, standard, login):
    survey = new_survey(alpha)
    client = login(alpha[Role.APPLICANT_EDITOR])

    added = client.post(
        reverse("survey_links:add", args=[survey.pk]),
        {"channel": Channel.ONLINE, "site": alpha.site.pk},
    )
    opened = client.post(
        reverse("survey_links:settings", args=[survey.pk]), {"open": "on", "requires_token": "on"}
    )
    link = survey.links.get()
    invited = client.post(
        reverse("survey_links:invitations", args=[survey.pk, link.pk]), {"count": "25"}
    )
    listing = client.get(reverse("survey_links:list", args=[survey.pk]))

    assert added.status_code == opened.status_code == invited.status_code == 302
    assert (link.channel, link.site) == (Channel.ONLINE, alpha.site)
    survey.refresh_from_db()
    assert survey.hosted_open and survey.hosted_requires_token
    assert link.invitations.count() == 25
    body = listing.content.decode()
    assert f"{SITE_URL}/s/{link.key}/" in body
    assert reverse("survey_links:qr_svg", args=[survey.pk, link.pk]) in body


def test_a_duplicate_link_shows_the_message_on_the_form(alpha, survey, link, login):
    response = login(alpha[Role.APPLICANT_ADMIN]).post(
        reverse("survey_links:add", args=[survey.pk]),
        {"channel": Channel.FACE_TO_FACE, "site": alpha.site.pk},
    )
    assert response.status_code == 200
    assert "already has a link" in response.content.decode()


def test_people_who_cannot_edit_see_links_but_not_the_invitation_addresses(
    alpha, survey, link, login
):
    client = login(alpha[Role.INTERNAL_ASSESSOR])
    assert client.get(reverse("survey_links:list", args=[survey.pk])).status_code == 200
    assert client.get(reverse("survey_links:add", args=[survey.pk])).status_code == 403
    csv_url = reverse("survey_links:invitations_csv", args=[survey.pk, link.pk])
    assert client.get(csv_url).status_code == 403


def organisation_side_urls(survey, link):
    return [
        reverse("survey_links:list", args=[survey.pk]),
        reverse("survey_links:add", args=[survey.pk]),
        reverse("survey_links:settings", args=[survey.pk]),
        reverse("survey_links:qr_svg", args=[survey.pk, link.pk]),
        reverse("survey_links:qr_png", args=[survey.pk, link.pk]),
        reverse("survey_links:invitations", args=[survey.pk, link.pk]),
        reverse("survey_links:invitations_csv", args=[survey.pk, link.pk]),
    ]


def test_the_walk_covers_every_organisation_side_route(survey, link):
    from surveys.hosted_urls import link_patterns

    assert len(organisation_side_urls(survey, link)) == len(link_patterns)


@pytest.mark.parametrize("role", OTHER_TENANT_ROLES)
def test_every_organisation_side_route_is_not_found_to_another_tenant(
    role, alpha, beta, survey, link, login
):
    client = login(beta[role])
    for url in organisation_side_urls(survey, link):
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"count": "5", "open": "on"}).status_code in (404, 405), url
    assert not SurveyInvitation.objects.exists()
    survey.refresh_from_db()
    assert survey.hosted_open


def test_a_link_of_another_tenants_survey_is_not_found_under_ones_own(
    alpha, beta, standard, survey, link, login
):
    beta_survey = new_survey(beta)
    client = login(beta[Role.APPLICANT_ADMIN])
    url = reverse("survey_links:qr_svg", args=[beta_survey.pk, link.pk])
    assert client.get(url).status_code == 404


def test_welsh_customers_read_the_suggested_groups_in_welsh(client, alpha, link):
    survey = link.survey
    survey.groups.all().delete()
    from surveys.models import GroupAttribute

    GroupAttribute.objects.create(
        survey=survey, code="disability", label="Disability", values=["Yes", "No"]
    )
    page = client.get(f"/cy{form_url(link)}").content.decode()
    assert "Anabledd" in page and "Disability" not in page
