"""Demo self-assessments, so that `make run` shows the self-assessment in use."""

from organisations.models import Membership, Role

from . import services
from .models import Action, RatingValue

NARRATIVES = [
    "We review this every quarter with front-line teams and act on what we find.",
    "Customer panel feedback shaped this; the last review is in our evidence library.",
    "Performance is published monthly on our website and discussed at board meetings.",
    "Team leaders check this in one-to-ones; results are reported to the management team.",
]
WEIGHTS = [
    (RatingValue.COMPLIANCE_PLUS, 10),
    (RatingValue.COMPLIANT, 60),
    (RatingValue.PARTIAL, 25),
    (RatingValue.NON_COMPLIANT, 5),
]


def load(rng, *, in_progress: str, submitted: str, shared_with, headquarters: str) -> None:
    """A draft part-way through, a submitted one shared with a certification body,
    and a headquarters that runs some elements centrally."""
    _assess(rng, _admin(in_progress), share_of_elements=0.7)
    done = _assess(rng, _admin(submitted), share_of_elements=1.0)
    admin = _admin(submitted)
    services.self_assessment_submit(membership=admin, self_assessment=done)
    services.self_assessment_share(
        membership=admin,
        self_assessment=done,
        certification_body=shared_with,
        purpose="Initial assessment",
    )
    _assess(rng, _admin(headquarters), share_of_elements=0.5, corporate_every=4)


def _admin(organisation_name):
    return Membership.objects.select_related("organisation").get(
        organisation__name=organisation_name, role=Role.APPLICANT_ADMIN
    )


def _assess(rng, membership, *, share_of_elements, corporate_every=0):
    self_assessment = services.self_assessment_start(membership=membership)
    values, weights = zip(*WEIGHTS, strict=True)
    ratings = list(self_assessment.ratings.select_related("element"))
    for number, rating in enumerate(ratings[: round(len(ratings) * share_of_elements)]):
        services.rating_save(
            membership=membership,
            rating=rating,
            expected_version=rating.version,
            data=services.RatingInput(
                value=rng.choices(values, weights)[0],
                narrative=rng.choice(NARRATIVES),
                evidence=[],
                is_corporate=bool(corporate_every) and number % corporate_every == 0,
            ),
        )
    latest = services.partial_action_latest_due(self_assessment.standard)
    for action in self_assessment.actions.all():
        services.action_update(
            membership=membership,
            action=action,
            description=action.description,
            owner=rng.choice(
                [
                    "Customer services manager",
                    "Head of operations",
                    "Digital services lead",
                    "Training coordinator",
                ]
            ),
            due_date=latest,
            status=rng.choice([Action.Status.PROPOSED, Action.Status.IN_PROGRESS]),
        )
    return self_assessment
