from typing import TYPE_CHECKING, Self

from django.db import models

if TYPE_CHECKING:
    from .models import Membership


class TenantQuerySet(models.QuerySet):
    """Queryset of a tenant-owned model.

    The model names its path to the owning organisation in `tenant_path`
    ("organisation", "engagement__holder", or "pk" for Organisation itself).
    `visible_to` is the one way to read such rows on behalf of a person.
    """

    def visible_to(self, membership: "Membership | None") -> Self:
        from . import policy

        return policy.scope(self, membership)
