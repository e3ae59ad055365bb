"""Who may read which tenant's rows.

Every read of tenant-owned data on behalf of a person goes through `scope`
(via `Model.objects.visible_to(membership)`); views answer 404 for anything
outside it, so nobody can learn that another tenant's object exists.

What a regulator reads of the organisations that consented to its reliance is said by
rules the certification app registers (`register_reliance`): this app sits below the
ones that know what an outcome is. A model without a rule shows regulators nothing.
"""

from collections.abc import Callable, Collection
from typing import Any, TypeGuard, TypeVar

from django.db.models import Model, Q, QuerySet
from django.shortcuts import get_object_or_404

from .models import Membership, Organisation, RegulatorConsent

_M = TypeVar("_M", bound=Model)
_Q = TypeVar("_Q", bound=QuerySet[Any])

# Model -> function of a regulator's membership giving the rows of it the regulator reads.
_reliance_rules: dict[type, Callable[..., QuerySet[Any]]] = {}


def register_reliance(model: type, rows: Callable[..., QuerySet[Any]]) -> None:
    """Let regulators read `rows(membership)` of `model`, beyond their own organisation's."""
    _reliance_rules[model] = rows


def is_regulator(membership: Membership | None) -> TypeGuard[Membership]:
    return membership is not None and membership.organisation.kind == Organisation.Kind.REGULATOR


def visible_organisations(membership: Membership | None) -> QuerySet[Organisation]:
    """The organisations whose data the active membership may read."""
    if membership is None:
        return Organisation.objects.none()
    organisation = membership.organisation
    if organisation.kind == Organisation.Kind.SCHEME_UNIT:
        return Organisation.objects.all()
    if organisation.kind == Organisation.Kind.APPLICANT:
        # A corporate programme's headquarters sees its units.
        return Organisation.objects.filter(Q(pk=organisation.pk) | Q(parent_id=organisation.pk))
    return Organisation.objects.filter(pk=organisation.pk)


def relied_on_organisations(membership: Membership | None) -> QuerySet[Organisation]:
    """The organisations of a regulator's sector that consented to its reliance."""
    if not is_regulator(membership):
        return Organisation.objects.none()
    consents = RegulatorConsent.objects.filter(
        regulator=membership.organisation_id, withdrawn_at__isnull=True
    )
    return Organisation.objects.filter(
        pk__in=consents.values("organisation"), sector=membership.organisation.sector_id
    )


def acts_for(membership: Membership | None, organisation: Organisation) -> bool:
    """Whether the membership may act (not only read) for `organisation`: its own,
    or, for a corporate programme's headquarters, one of its units."""
    if membership is None:
        return False
    return membership.organisation_id in (organisation.pk, organisation.parent_id)


def may_act(
    membership: Membership | None, organisation: Organisation, roles: Collection[str]
) -> bool:
    """Whether the membership has one of `roles` and acts for `organisation`."""
    return (
        membership is not None and membership.role in roles and acts_for(membership, organisation)
    )


def acting_organisations(membership: Membership | None) -> QuerySet[Organisation]:
    """The organisations the membership acts for: its own and, for a headquarters, its units."""
    if membership is None:
        return Organisation.objects.none()
    own = membership.organisation_id
    return Organisation.objects.filter(Q(pk=own) | Q(parent_id=own))


def scope(queryset: _Q, membership: Membership | None) -> _Q:
    if membership is None:
        return queryset.none()
    if membership.organisation.kind == Organisation.Kind.SCHEME_UNIT:
        return queryset
    model: Any = queryset.model  # a tenant model: it declares tenant_path (and shared_path)
    owned = Q(**{f"{model.tenant_path}__in": visible_organisations(membership).values("pk")})
    shared_path = getattr(model, "shared_path", None)
    if shared_path and membership.organisation.kind == Organisation.Kind.CERTIFICATION_BODY:
        # What an applicant chose to share with this certification body.
        shared = model._default_manager.filter(**{shared_path: membership.organisation_id})
        owned |= Q(pk__in=shared.values("pk"))
    relied = _reliance_rules.get(model)
    if relied and is_regulator(membership):
        owned |= Q(pk__in=relied(membership).values("pk"))
    return queryset.filter(owned)


def get_visible_or_404(
    model_or_queryset: type[_M] | QuerySet[_M], membership: Membership | None, **lookup: Any
) -> _M:
    queryset: Any = getattr(model_or_queryset, "objects", model_or_queryset)
    visible: QuerySet[_M] = queryset.visible_to(membership)
    return get_object_or_404(visible, **lookup)
