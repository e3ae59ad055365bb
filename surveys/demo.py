"""Demo customer surveys, so that `make run` shows results, analysis and benchmarks.

Answers are drawn from a simple model in which the drivers matter in the order the
2004 research found (delivery most), so the key-driver analysis has something to find.
"""

from datetime import date, timedelta

import numpy as np

from organisations.models import Membership, Organisation, Role

from . import services
from .models import Channel, Mode, Response, SamplingApproach, Survey

DRIVER_WEIGHTS = [0.35, 0.25, 0.18, 0.12, 0.10]
AGE_BANDS = services.SUGGESTED_GROUPS["age_band"][1]
DISABILITY = services.SUGGESTED_GROUPS["disability"][1]


def load(rng, *, today: date | None = None) -> None:
    """One survey for every applicant organisation, and last year's too for every
    third, so that change over time shows."""
    today = today or date.today()
    generator = np.random.default_rng(rng.randrange(2**32))
    admins = Membership.objects.filter(
        role=Role.APPLICANT_ADMIN, organisation__kind=Organisation.Kind.APPLICANT
    ).select_related("organisation")
    for index, admin in enumerate(admins.order_by("organisation__name")):
        quality = generator.normal(0, 0.35)
        if index % 3 == 0:
            survey_with_responses(
                admin, generator, today.year - 1, today - timedelta(days=395), quality - 0.15
            )
        survey_with_responses(admin, generator, today.year, today - timedelta(days=30), quality)


def survey_with_responses(admin, generator, year, fieldwork_end, quality, organisation=None):
    """A survey of `organisation` (the admin's own, or one of its units) that meets the
    method, with answers drawn around `quality`."""
    survey = services.survey_create(
        membership=admin,
        organisation=organisation or admin.organisation,
        data=services.SurveyInput(
            title=f"Customer satisfaction survey {year}",
            period_start=date(year - 1, 4, 1),
            period_end=date(year, 3, 31),
            channels=[Channel.FACE_TO_FACE, Channel.TELEPHONE, Channel.ONLINE],
            sampling_approach=SamplingApproach.RANDOM,
            mode=Mode.MIXED,
            population=int(generator.integers(5_000, 60_000)),
            fieldwork_start=fieldwork_end - timedelta(days=42),
            fieldwork_end=fieldwork_end,
            invited_count=int(generator.integers(2_500, 4_000)),
            core_wording_confirmed=True,
            groups=["age_band", "disability"],
        ),
    )
    count = int(generator.integers(450, 1_100))
    drivers = np.clip(
        np.rint(3.6 + quality + generator.normal(0, 0.9, size=(count, 5))), 1, 5
    ).astype(int)
    overall = np.clip(
        np.rint(drivers @ np.array(DRIVER_WEIGHTS) + generator.normal(0, 0.45, size=count)),
        1,
        5,
    ).astype(int)
    channels = generator.choice(survey.channels, size=count, p=[0.5, 0.3, 0.2])
    ages = generator.choice(AGE_BANDS, size=count)
    disability = generator.choice(DISABILITY, size=count, p=[0.2, 0.75, 0.05])
    Response.objects.bulk_create(
        [
            Response(
                survey=survey,
                respondent_id=f"D{year}-{n:05d}",
                source=Response.Source.IMPORT,
                row_number=n + 2,
                channel=channels[n],
                responded_on=survey.fieldwork_start + timedelta(days=int(n % 42)),
                overall=int(overall[n]),
                delivery=int(drivers[n, 0]),
                timeliness=int(drivers[n, 1]),
                information=int(drivers[n, 2]),
                professionalism=int(drivers[n, 3]),
                staff_attitude=int(drivers[n, 4]),
                groups={"age_band": str(ages[n]), "disability": str(disability[n])},
            )
            for n in range(count)
        ],
        batch_size=1_000,
    )
    services.survey_responses_changed(survey=Survey.objects.get(pk=survey.pk))
