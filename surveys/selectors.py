"""Reads about surveys that need more than a filter."""

from django.utils.translation import gettext as _

from standard.models import Driver

from .models import OVERALL, Survey


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
