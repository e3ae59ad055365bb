from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import Resolver404, resolve
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _

from .models import TWO_FACTOR_ROLES, Membership

SESSION_KEY = "active_membership_id"


class ActiveMembershipMiddleware:
    """Sets `request.membership`: the organisation and role a person is acting in.

    People who belong to several organisations choose one with the switcher;
    everything they see is scoped to it. Only that one membership is loaded, however
    many a person has: the switcher's page lists the others, a page at a time.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.membership = None
        request.acts_for_several = False
        if request.user.is_authenticated:
            request.membership = acting_membership(request.user, request.session.get(SESSION_KEY))
            request.acts_for_several = SimpleLazyObject(
                lambda: _has_other_memberships(request.user, request.membership)
            )
        return self.get_response(request)


def acting_membership(user, chosen: int | None) -> Membership | None:
    """The membership chosen in the switcher, or else the first by organisation name."""
    mine = Membership.objects.filter(user=user).select_related(
        "organisation", "organisation__sector", "organisation__parent"
    )
    membership = mine.filter(pk=chosen).first() if isinstance(chosen, int) else None
    return membership or mine.order_by("organisation__name", "pk").first()


def _has_other_memberships(user, membership: Membership | None) -> bool:
    return (
        membership is not None
        and Membership.objects.filter(user=user).exclude(pk=membership.pk).exists()
    )


# Pages a person who still has to set up two-factor authentication may reach.
_TWO_FACTOR_SETUP_PAGES = {
    "mfa_activate_totp",
    "mfa_index",
    "mfa_view_recovery_codes",
    "mfa_generate_recovery_codes",
    "mfa_download_recovery_codes",
    "account_logout",
    "account_reauthenticate",
    "set_language",
}


class RequireTwoFactorMiddleware:
    """Certification-body and scheme-unit people must use a second factor."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if self._must_set_up(request):
            if request.path_info.startswith("/api/"):
                return JsonResponse(
                    {"detail": _("Set up two-factor authentication before using the API.")},
                    status=403,
                )
            return redirect("mfa_activate_totp")
        return self.get_response(request)

    def _must_set_up(self, request):
        if not request.user.is_authenticated:
            return False
        two_factor_roles = Membership.objects.filter(user=request.user, role__in=TWO_FACTOR_ROLES)
        if not request.user.is_staff and not two_factor_roles.exists():
            return False
        try:
            if resolve(request.path_info).url_name in _TWO_FACTOR_SETUP_PAGES:
                return False
        except Resolver404:
            return False
        from allauth.mfa.models import Authenticator
        from allauth.mfa.utils import is_mfa_enabled

        return not is_mfa_enabled(request.user, [Authenticator.Type.TOTP])
