from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import Resolver404, resolve
from django.utils.translation import gettext as _

from .models import TWO_FACTOR_ROLES, Membership

SESSION_KEY = "active_membership_id"


class ActiveMembershipMiddleware:
    """Sets `request.membership`: the organisation and role a person is acting in.

    People who belong to several organisations choose one with the switcher;
    everything they see is scoped to it.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.memberships = []
        request.membership = None
        if request.user.is_authenticated:
            request.memberships = list(
                Membership.objects.filter(user=request.user)
                .select_related("organisation", "organisation__sector", "organisation__parent")
                .order_by("organisation__name")
            )
            chosen = request.session.get(SESSION_KEY)
            request.membership = next(
                (m for m in request.memberships if m.pk == chosen),
                request.memberships[0] if request.memberships else None,
            )
        return self.get_response(request)


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
        staff = request.user.is_staff
        if not staff and not any(m.role in TWO_FACTOR_ROLES for m in request.memberships):
            return False
        try:
            if resolve(request.path_info).url_name in _TWO_FACTOR_SETUP_PAGES:
                return False
        except Resolver404:
            return False
        from allauth.mfa.models import Authenticator
        from allauth.mfa.utils import is_mfa_enabled

        return not is_mfa_enabled(request.user, [Authenticator.Type.TOTP])
