"""Reads about surveys that need more than a filter."""

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from organisations.models import Membership
from organisations.policy import acting_organisations, acts_for
from standard.models import Driver

from .models import OVERALL, Response, Survey


def may_read_responses(membership: Membership | None, survey: Survey) -> bool:
    """Respondent-level answers (with customers' group details) are for the organisation
    itself and its headquarters; others who see the survey read only its aggregates."""
    return acts_for(membership, survey.organisation)


def readable_responses(membership: Membership | None) -> QuerySet[Response]:
    """The responses a membership may read one by one: see `may_read_responses`."""
    return Response.objects.visible_to(membership).filter(
        survey__organisation__in=acting_organisations(membership)
    )


def asked_core_questions(survey: Survey) -> list[tuple]:
    """The standard's core questions this survey asks, each with what it asks about:
    the importance questions only where the survey asks them."""
    asked = []
    for question in survey.standard.core_questions.all():
        if question.kind == "importance":
            if not survey.includes_importance:
                continue
            about = _("Importance of %(driver)s") % {
                "driver": str(Driver(question.driver).label).lower()
            }
        elif question.driver == OVERALL:
            about = _("Overall satisfaction")
        else:
            about = _("Satisfaction with %(driver)s") % {
                "driver": str(Driver(question.driver).label).lower()
            }
        asked.append((question, about))
    return asked
