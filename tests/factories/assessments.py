"""A self-assessment with ratings, built without walking the services to it."""

import factory
from django.core.exceptions import ValidationError
from django.utils import timezone

from assessments.models import Action, Rating, SelfAssessment
from assessments.services import partial_action_latest_due, submission_problems
from standard.scales import GAPS
from standard.selectors import current_standard

from . import OrganisationFactory, UserFactory
from .base import CleanFactory, ratings_by_code


class SelfAssessmentFactory(CleanFactory):
    """A self-assessment with a rating for every element of its standard, rated as
    `ratings` says, and an action with an owner and a due date for every gap. Pass
    `status="submitted"` for a submitted one: it must then pass the submission check."""

    class Meta:
        model = SelfAssessment

    organisation = factory.SubFactory(OrganisationFactory)
    standard = factory.LazyFunction(current_standard)
    number = factory.LazyAttribute(
        lambda o: SelfAssessment.objects.filter(organisation=o.organisation).count() + 1
    )
    status = SelfAssessment.Status.DRAFT
    created_by = factory.SubFactory(UserFactory)
    submitted_by = factory.Maybe(
        factory.LazyAttribute(lambda o: o.status == SelfAssessment.Status.SUBMITTED),
        factory.SelfAttribute("created_by"),
        None,
    )
    submitted_at = factory.Maybe(
        factory.LazyAttribute(lambda o: o.status == SelfAssessment.Status.SUBMITTED),
        factory.LazyFunction(timezone.now),
        None,
    )

    @factory.post_generation
    def ratings(self, create, extracted, **kwargs):
        values = ratings_by_code(self.standard, extracted or {})
        Rating.objects.bulk_create(
            Rating(self_assessment=self, element_id=pk, value=value, version=int(bool(value)))
            for pk, value in values.items()
        )
        Action.objects.bulk_create(
            Action(
                self_assessment=self,
                element_id=pk,
                description="Close the gap",
                owner="Head of Customer Service",
                due_date=partial_action_latest_due(self.standard),
            )
            for pk, value in values.items()
            if value in GAPS
        )
        if not self.is_draft and (problems := submission_problems(self)):
            raise ValidationError(problems)
