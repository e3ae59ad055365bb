"""Who may read which tenant's rows.

Every read of tenant-owned data on behalf of a person goes through `scope`
(via `Model.objects.visible_to(membership)`); views answer 404 for anything
outside it, so nobody can learn that another tenant's object exists.
"""

from django.db.models import Q
from django.shortcuts import get_object_or_404

from .models import Organisation


def visible_organisations(membership):
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


def scope(queryset, membership):
    if membership is None:
        return queryset.none()
    if membership.organisation.kind == Organisation.Kind.SCHEME_UNIT:
        return queryset
    path = queryset.model.tenant_path
    return queryset.filter(**{f"{path}__in": visible_organisations(membership).values("pk")})


def get_visible_or_404(model_or_queryset, membership, **lookup):
    queryset = getattr(model_or_queryset, "objects", model_or_queryset)
    return get_object_or_404(queryset.visible_to(membership), **lookup)
