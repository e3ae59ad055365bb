from django.urls import reverse, translate_url
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _

from .models import Organisation
from .notifications import unread_count


def navigation(request):
    """Service navigation by role, the organisation switcher and the language links."""
    membership = getattr(request, "membership", None)
    items = [
        (_("The standard"), reverse("standard:index")),
        (_("Public register"), reverse("register:index")),
        (_("Awards"), reverse("awards:index")),
    ]
    if membership is not None:
        items.insert(0, (_("Home"), reverse("home")))
        if membership.organisation.kind in (
            Organisation.Kind.APPLICANT,
            Organisation.Kind.CERTIFICATION_BODY,
        ):
            items.append((_("Self-assessment"), reverse("assessments:index")))
        if membership.organisation.kind == Organisation.Kind.APPLICANT:
            items.append((_("Evidence"), reverse("evidence:list")))
        if membership.organisation.kind != Organisation.Kind.REGULATOR:
            items.append((_("Certification"), reverse("certification:index")))
        else:
            items.append((_("Reliance"), reverse("reliance:index")))
        if membership.organisation.kind in (
            Organisation.Kind.APPLICANT,
            Organisation.Kind.SCHEME_UNIT,
        ):
            items.append((_("Surveys"), reverse("surveys:index")))
        if membership.organisation.kind == Organisation.Kind.APPLICANT:
            items.append((_("Benchmarks"), reverse("benchmarking:index")))
        if membership.organisation.kind == Organisation.Kind.SCHEME_UNIT:
            items.append((_("Dashboards"), reverse("benchmarking:dashboard_take_up")))
        items.append(
            (_("Organisation"), reverse("organisation_detail", args=[membership.organisation_id]))
        )
        if membership.is_admin:
            items.append((_("People"), reverse("members", args=[membership.organisation_id])))
        if membership.organisation.kind == Organisation.Kind.SCHEME_UNIT:
            items.append((_("History of changes"), reverse("scheme_history")))
    path = request.get_full_path()
    # The most specific item whose address starts the current path is the active one.
    home = reverse("home")
    matches = [
        href
        for _label, href in items
        if request.path == href or (href != home and request.path.startswith(href))
    ]
    active = max(matches, key=len, default=None)
    nav = [{"text": text, "href": href, "active": href == active} for text, href in items]
    return {
        "service_navigation": nav,
        # The header's "Notifications (3)": one indexed COUNT, evaluated only if shown.
        "notifications_unread": SimpleLazyObject(
            lambda: unread_count(getattr(request, "user", None))
        ),
        "language_links": {
            "en": translate_url(path, "en"),
            "cy": translate_url(path, "cy"),
        },
    }
