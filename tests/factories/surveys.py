"""A survey with scores: its responses stored and its summary worked out by the surveys
app, as after an import."""

import datetime

import factory

from standard.selectors import current_standard
from surveys.models import SATISFACTION_COLUMNS, Mode, Response, SamplingApproach, Survey
from surveys.services import survey_responses_changed

from . import OrganisationFactory, UserFactory
from .base import CleanFactory


class SurveyFactory(CleanFactory):
    """A survey of an applicant that meets the method if given enough `answers`: rows of
    (overall, five drivers) on 1 to 5, stored as responses, with the summary, count and
    method check worked out by the surveys app itself, as after an import."""

    class Meta:
        model = Survey

    organisation = factory.SubFactory(OrganisationFactory)
    standard = factory.LazyFunction(current_standard)
    title = factory.Sequence(lambda n: f"Customer survey {n}")
    period_start = datetime.date(2026, 1, 1)
    period_end = datetime.date(2026, 3, 31)
    channels = factory.LazyFunction(lambda: ["telephone", "online"])
    sampling_approach = SamplingApproach.RANDOM
    mode = Mode.ONLINE
    population = 20_000
    fieldwork_start = datetime.date(2026, 1, 5)
    fieldwork_end = datetime.date(2026, 3, 31)
    invited_count = 2_000
    core_wording_confirmed = True
    created_by = factory.SubFactory(UserFactory)

    @factory.post_generation
    def answers(self, create, extracted, **kwargs):
        Response.objects.bulk_create(
            (
                Response(
                    survey=self,
                    respondent_id=f"r{n}",
                    source=Response.Source.IMPORT,
                    channel="online",
                    **dict(zip(SATISFACTION_COLUMNS, (int(v) for v in row), strict=True)),
                )
                for n, row in enumerate(extracted if extracted is not None else [])
            ),
            batch_size=2000,
        )
        survey_responses_changed(survey=self)
