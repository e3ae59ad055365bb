"""Every change to a self-assessment: start, rate, review, plan, submit, share, commit."""

from dataclasses import dataclass
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from organisations.models import Membership, Organisation, Role
from organisations.policy import acts_for
from standard.models import Element, ElementMapping, Standard
from standard.scales import GAPS, RATING
from standard.selectors import current_standard

from .models import (
    Action,
    PublicCommitment,
    Rating,
    RatingChange,
    RatingValue,
    SelfAssessment,
    Share,
)
from .selectors import corporate_ratings

EDIT_ROLES = {Role.APPLICANT_ADMIN, Role.APPLICANT_EDITOR}
REVIEW_ROLES = {Role.INTERNAL_ASSESSOR}


def _require(membership: Membership, roles: set, organisation: Organisation) -> None:
    if membership is None or membership.role not in roles:
        raise PermissionDenied(_("Your role does not allow this."))
    if not acts_for(membership, organisation):
        raise PermissionDenied(_("You can only work on your own organisation."))


def _locked(self_assessment_id: int) -> SelfAssessment:
    """The self-assessment as it is now, locked until the change is saved, so that
    nothing is changed after it was submitted by someone else."""
    return (
        SelfAssessment.objects.select_for_update(of=("self",))
        .select_related("organisation", "standard")
        .get(pk=self_assessment_id)
    )


def _require_draft(self_assessment: SelfAssessment) -> None:
    if not self_assessment.is_draft:
        raise ValidationError(
            _("This self-assessment was submitted and cannot change. Start a new version.")
        )


def partial_action_latest_due(standard: Standard, today: date | None = None) -> date:
    """The latest due date the pass rule allows for an action on a partial element."""
    latest: date = (today or timezone.localdate()) + relativedelta(
        months=standard.partial_action_months
    )
    return latest


@transaction.atomic
def self_assessment_start(
    *,
    membership: Membership,
    organisation: Organisation | None = None,
    standard: Standard | None = None,
) -> SelfAssessment:
    """Start a new draft, carried forward from the last version where there is one."""
    organisation = organisation or membership.organisation
    _require(membership, EDIT_ROLES, organisation)
    if organisation.kind != Organisation.Kind.APPLICANT:
        raise ValidationError(_("Only applicant organisations assess themselves."))
    standard = standard or current_standard()
    if standard is None or standard.status != Standard.Status.PUBLISHED:
        raise ValidationError(_("Self-assessments use a published version of the standard."))
    # One start at a time per organisation: the lock makes a second wait, then see the draft.
    Organisation.objects.select_for_update().get(pk=organisation.pk)
    existing = SelfAssessment.objects.filter(organisation=organisation)
    if existing.filter(status=SelfAssessment.Status.DRAFT).exists():
        raise ValidationError(_("There is already a draft self-assessment; carry on with it."))
    previous = existing.order_by("-number").first()
    self_assessment = SelfAssessment.objects.create(
        organisation=organisation,
        standard=standard,
        number=(previous.number + 1) if previous else 1,
        based_on=previous,
        created_by=membership.user,
    )
    elements = Element.objects.filter(criterion__standard=standard)
    Rating.objects.bulk_create(
        Rating(self_assessment=self_assessment, element=element) for element in elements
    )
    if previous:
        _carry_forward(self_assessment, previous)
    return self_assessment


def _carry_forward(new: SelfAssessment, previous: SelfAssessment) -> None:
    """Copy ratings, narratives, evidence and open actions, across versions of the
    standard through the element mappings, and say what changed."""
    old = {r.element_id: r for r in previous.ratings.prefetch_related("evidence")}
    sources = _sources_by_element(new.standard, previous.standard)
    for rating in new.ratings.select_related("element"):
        origin = sources.get(rating.element_id)
        if origin is None:
            rating.carry_note = _("New in this version of the standard.")
            rating.save(update_fields=["carry_note"])
            continue
        change, from_elements = origin
        carried = [old[e.pk] for e in from_elements if e.pk in old]
        if not carried:
            continue
        rated = [r for r in carried if r.value]
        rating.value = min((r.value for r in rated), key=_points, default="")
        rating.narrative = "\n\n".join(r.narrative for r in carried if r.narrative)
        # Only a headquarters marks elements as run centrally; a unit inherits them afresh.
        rating.is_corporate = not new.organisation.parent_id and any(
            r.is_corporate for r in carried
        )
        rating.carry_note = _carry_note(change, from_elements)
        rating.save(update_fields=["value", "narrative", "is_corporate", "carry_note"])
        rating.evidence.set({e for r in carried for e in r.evidence.all()})
    open_actions = previous.actions.exclude(status=Action.Status.DONE).select_related("element")
    for action in open_actions:
        for element_id, (_change, froms) in sources.items():
            if action.element in froms:
                Action.objects.create(
                    self_assessment=new,
                    element_id=element_id,
                    description=action.description,
                    owner=action.owner,
                    due_date=action.due_date,
                    status=action.status,
                )
    # A gap whose action was done last time still needs one now.
    for rating in new.ratings.filter(value__in=GAPS).select_related("element"):
        _propose_action(rating)


# {new element id: (change, [old elements])}
_Sources = dict[int, tuple[str, list[Element]]]


def _sources_by_element(new_standard: Standard, old_standard: Standard) -> _Sources:
    """{new element id: (change, [old elements])}, following the element mappings back
    through every version in between. Unrelated versions carry nothing."""
    elements = Element.objects.filter(criterion__standard=new_standard)
    sources: _Sources = {e.pk: (ElementMapping.Change.UNCHANGED, [e]) for e in elements}
    step = new_standard
    while step.pk != old_standard.pk:
        if step.previous is None:
            return {}
        earlier: dict[int | None, list[tuple[str, Element]]] = {}
        for m in ElementMapping.objects.filter(
            standard=step, to_element__isnull=False
        ).select_related("from_element"):
            earlier.setdefault(m.to_element_id, []).append((m.change, m.from_element))
        sources = {
            pk: _step_back(change, froms, earlier) for pk, (change, froms) in sources.items()
        }
        sources = {pk: source for pk, source in sources.items() if source[1]}
        step = step.previous
    return sources


def _step_back(
    change: str, elements: list[Element], earlier: dict[int | None, list[tuple[str, Element]]]
) -> tuple[str, list[Element]]:
    """The elements one version earlier, and the first change met on the way back."""
    older = []
    for element in elements:
        for step_change, old in earlier.get(element.pk, []):
            older.append(old)
            if change == ElementMapping.Change.UNCHANGED:
                change = step_change
    return change, older


def _carry_note(change: str, from_elements: list[Element]) -> str:
    codes = ", ".join(e.code for e in from_elements)
    notes: dict[str, str] = {
        ElementMapping.Change.UNCHANGED: "",
        ElementMapping.Change.REWORDED: _(
            "Reworded since %(codes)s: check your rating still holds."
        ),
        ElementMapping.Change.MOVED: _("Moved from %(codes)s."),
        ElementMapping.Change.SPLIT: _("Split from %(codes)s: check the rating fits this part."),
        ElementMapping.Change.MERGED: _("Merged from %(codes)s: the lowest rating was kept."),
    }
    return notes.get(change, "") % {"codes": codes} if notes.get(change) else ""


def _points(value: str) -> int:
    return RATING[value].points


class RatingConflict(ValidationError):
    """Someone else saved this element since the form was opened."""

    def __init__(self, rating: Rating):
        self.current = rating
        who = rating.updated_by or _("someone else")
        super().__init__(
            _(
                "%(who)s changed this element while you were editing it. Their version is "
                "shown below; nothing of yours was saved. Make your change again on top of it."
            )
            % {"who": who}
        )


@dataclass
class RatingInput:
    value: str
    narrative: str
    evidence: list
    is_corporate: bool = False


@transaction.atomic
def rating_save(
    *, membership: Membership, rating: Rating, data: RatingInput, expected_version: int
) -> Rating:
    """Save one element's rating. Refuses, without saving anything, if someone else
    saved it since `expected_version` was read."""
    self_assessment = _locked(rating.self_assessment_id)
    _require(membership, EDIT_ROLES, self_assessment.organisation)
    _require_draft(self_assessment)
    if rating.element_id in corporate_ratings(self_assessment):
        raise ValidationError(_("This element is run centrally; your headquarters rates it."))
    if data.is_corporate and self_assessment.organisation.parent_id:
        raise ValidationError(_("Only a headquarters can mark an element as run centrally."))
    foreign = [e for e in data.evidence if e.organisation_id != self_assessment.organisation_id]
    if foreign:
        raise ValidationError(_("Evidence must belong to this organisation."))
    before = Rating.objects.select_for_update().get(pk=rating.pk)
    if before.version != expected_version:
        raise RatingConflict(before)
    value_changed = before.value != data.value
    narrative_changed = before.narrative != data.narrative
    Rating.objects.filter(pk=rating.pk).update(
        value=data.value,
        narrative=data.narrative,
        is_corporate=data.is_corporate,
        review=_review_after_edit(before.review, value_changed, narrative_changed),
        version=F("version") + 1,
        updated_by=membership.user,
        updated_at=timezone.now(),
    )
    rating.refresh_from_db()
    rating.evidence.set(data.evidence)
    if value_changed or (narrative_changed and not _recently_edited_by(before, membership)):
        RatingChange.objects.create(
            rating=rating,
            changed_by=membership.user,
            from_value=before.value,
            to_value=data.value,
            narrative_changed=narrative_changed,
        )
    _propose_action(rating)
    return rating


def _review_after_edit(review: str, value_changed: bool, narrative_changed: bool) -> str:
    """A review holds for what was reviewed: a new rating needs reviewing again, and a
    challenge is answered only by a real change."""
    if review == Rating.Review.CHALLENGED:
        return Rating.Review.REVISED if value_changed or narrative_changed else review
    return Rating.Review.NONE if value_changed else review


# Narrative edits by one person within this time make one entry in the history
# (autosave saves every few seconds while someone types).
HISTORY_QUIET = timedelta(minutes=30)


def _recently_edited_by(before: Rating, membership: Membership) -> bool:
    last = before.changes.order_by("-changed_at").first()
    return bool(
        last
        and last.changed_by_id == membership.user_id
        and last.changed_at > timezone.now() - HISTORY_QUIET
    )


def _propose_action(rating: Rating) -> None:
    """A gap gets a proposed action; an untouched proposal goes when the gap closes."""
    actions = Action.objects.filter(self_assessment=rating.self_assessment, element=rating.element)
    if rating.value in GAPS and not actions.exists():
        Action.objects.create(
            self_assessment=rating.self_assessment,
            element=rating.element,
            description=_("Close the gap in %(code)s: %(title)s")
            % {"code": rating.element.code, "title": rating.element.title},
            due_date=partial_action_latest_due(rating.self_assessment.standard)
            if rating.value == RatingValue.PARTIAL
            else None,
        )
    elif rating.value not in GAPS:
        actions.filter(status=Action.Status.PROPOSED, owner="").delete()


@transaction.atomic
def rating_review(
    *,
    membership: Membership,
    rating: Rating,
    agree: bool,
    comment: str,
    expected_version: int | None = None,
) -> None:
    """An internal assessor agrees with a rating or challenges it with a reason. With
    `expected_version`, the review is refused if the rating changed since it was read."""
    self_assessment = _locked(rating.self_assessment_id)
    _require(membership, REVIEW_ROLES, self_assessment.organisation)
    _require_draft(self_assessment)
    rating = Rating.objects.select_for_update().get(pk=rating.pk)
    if expected_version is not None and rating.version != expected_version:
        raise ValidationError(
            _("The rating changed while you were reviewing it. Read it again, then review it.")
        )
    if not rating.value:
        raise ValidationError(_("Rate the element before it is reviewed."))
    if not agree and not comment.strip():
        raise ValidationError({"comment": _("Say why you challenge this rating.")})
    rating.review = Rating.Review.AGREED if agree else Rating.Review.CHALLENGED
    rating.review_comment = comment.strip()
    rating.reviewed_by = membership.user
    rating.reviewed_at = timezone.now()
    rating.save(update_fields=["review", "review_comment", "reviewed_by", "reviewed_at"])


@transaction.atomic
def action_update(
    *,
    membership: Membership,
    action: Action,
    description: str,
    owner: str,
    due_date: date | None,
    status: str,
) -> Action:
    self_assessment = _locked(action.self_assessment_id)
    _require(membership, EDIT_ROLES, self_assessment.organisation)
    _require_draft(self_assessment)
    action.description, action.owner, action.due_date, action.status = (
        description,
        owner,
        due_date,
        status,
    )
    action.full_clean()
    action.save()
    return action


def submission_problems(self_assessment: SelfAssessment) -> list[str]:
    """What stops a draft being submitted, in words a person can act on."""
    problems = []
    inherited = corporate_ratings(self_assessment)
    ratings = list(self_assessment.ratings.select_related("element"))
    unrated = [r.element.code for r in ratings if not r.value and r.element_id not in inherited]
    if unrated:
        problems.append(
            _("Rate every element: %(codes)s are not rated yet.") % {"codes": ", ".join(unrated)}
        )
    challenged = [r.element.code for r in ratings if r.review == Rating.Review.CHALLENGED]
    if challenged:
        problems.append(
            _("Resolve the internal assessor's challenges on %(codes)s.")
            % {"codes": ", ".join(challenged)}
        )
    latest = partial_action_latest_due(self_assessment.standard)
    actions = {a.element_id: a for a in self_assessment.actions.all()}
    for rating in ratings:
        if rating.value not in GAPS:
            continue
        action = actions.get(rating.element_id)
        if action is None or not action.owner or not action.due_date:
            problems.append(
                _("Give the action for %(code)s an owner and a due date.")
                % {"code": rating.element.code}
            )
        elif rating.value == RatingValue.PARTIAL and action.due_date > latest:
            problems.append(
                _("The action for %(code)s must be due within %(months)s months, by %(date)s.")
                % {
                    "code": rating.element.code,
                    "months": self_assessment.standard.partial_action_months,
                    "date": date_format(latest, "j F Y"),
                }
            )
    return problems


@transaction.atomic
def self_assessment_submit(*, membership: Membership, self_assessment: SelfAssessment) -> None:
    self_assessment = _locked(self_assessment.pk)
    _require(membership, EDIT_ROLES, self_assessment.organisation)
    _require_draft(self_assessment)
    problems = submission_problems(self_assessment)
    if problems:
        raise ValidationError(problems)
    _freeze_inherited(self_assessment)
    self_assessment.status = SelfAssessment.Status.SUBMITTED
    self_assessment.submitted_by = membership.user
    self_assessment.submitted_at = timezone.now()
    self_assessment.save(update_fields=["status", "submitted_by", "submitted_at"])


def _freeze_inherited(self_assessment: SelfAssessment) -> None:
    """A unit's submitted version keeps, as its own, the ratings it inherited, so it
    never changes when the headquarters later starts a new version."""
    for element_id, source in corporate_ratings(self_assessment).items():
        rating = self_assessment.ratings.get(element_id=element_id)
        rating.value, rating.narrative, rating.is_corporate = (
            source.value,
            source.narrative,
            True,
        )
        rating.carry_note = _("Run centrally: rated by the headquarters.")
        rating.save(update_fields=["value", "narrative", "is_corporate", "carry_note"])
        rating.evidence.set(source.evidence.all())


@transaction.atomic
def self_assessment_share(
    *,
    membership: Membership,
    self_assessment: SelfAssessment,
    certification_body: Organisation,
    purpose: str,
) -> Share:
    self_assessment = _locked(self_assessment.pk)
    _require(membership, {Role.APPLICANT_ADMIN}, self_assessment.organisation)
    if self_assessment.is_draft:
        raise ValidationError(_("Submit the self-assessment before sharing it."))
    if certification_body.kind != Organisation.Kind.CERTIFICATION_BODY:
        raise ValidationError({"certification_body": _("Choose a certification body.")})
    share = Share(
        self_assessment=self_assessment,
        certification_body=certification_body,
        purpose=purpose.strip(),
        shared_by=membership.user,
    )
    share.full_clean()
    share.save()
    return share


@transaction.atomic
def commitment_make(*, membership: Membership, statement: str) -> PublicCommitment:
    organisation = membership.organisation
    _require(membership, {Role.APPLICANT_ADMIN}, organisation)
    if not statement.strip():
        raise ValidationError({"statement": _("Say what your organisation commits to.")})
    PublicCommitment.objects.filter(organisation=organisation).delete()
    return PublicCommitment.objects.create(
        organisation=organisation, statement=statement.strip(), committed_by=membership.user
    )


@transaction.atomic
def commitment_withdraw(*, membership: Membership) -> None:
    _require(membership, {Role.APPLICANT_ADMIN}, membership.organisation)
    PublicCommitment.objects.filter(organisation=membership.organisation, withdrawn_at=None).update(
        withdrawn_at=timezone.now()
    )
