"""Survey fixtures for any test of the surveys app: the shipped standard and a survey
of tenant alpha's headquarters."""

import datetime

import pytest

from organisations.models import Role
from surveys.models import Mode, SamplingApproach
from surveys.services import SurveyInput, survey_create


def survey_input(**changes) -> SurveyInput:
    fields = {
        "title": "Customer survey 2026",
        "period_start": datetime.date(2026, 1, 1),
        "period_end": datetime.date(2026, 3, 31),
        "channels": ["telephone", "online"],
        "sampling_approach": SamplingApproach.RANDOM,
        "mode": Mode.ONLINE,
        "population": 20_000,
        "fieldwork_start": datetime.date(2026, 1, 5),
        "fieldwork_end": datetime.date(2026, 3, 31),
        "invited_count": 2_000,
        "core_wording_confirmed": True,
        "groups": ["age_band", "disability"],
    }
    fields.update(changes)
    return SurveyInput(**fields)


@pytest.fixture
def make_survey(alpha, standard):
    """A survey of alpha's headquarters, set up by its administrator; keywords change
    the `SurveyInput`."""

    def _make(**changes):
        return survey_create(membership=alpha[Role.APPLICANT_ADMIN], data=survey_input(**changes))

    return _make


@pytest.fixture
def survey(make_survey):
    return make_survey()
