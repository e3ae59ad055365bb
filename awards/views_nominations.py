"""Nominations: a holder's administrators and certification bodies' managers nominate
teams and people and follow their nominations; the nominee answers on a public page
opened by the emailed link."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from common.http import posted
from common.ratelimit import too_many_requests
from organisations.forms import apply_errors
from organisations.views import membership_required

from . import nominations
from .forms_judging import ConsentForm, NominationForm

CONSENT_RATE = "30/m"


@require_safe
@membership_required
def nomination_list(request):
    membership = request.membership
    context = {
        "entries": nominations.nominations_visible_to(membership),
        "may_nominate": nominations.nominable_organisations(membership).exists(),
        "open_categories": nominations.open_categories().exists(),
    }
    return render(request, "awards/nominations.html", context)


@require_http_methods(["GET", "POST"])
@membership_required
def nomination_new(request):
    membership = request.membership
    organisations = nominations.nominable_organisations(membership)
    if not organisations.exists():
        raise Http404
    form = NominationForm(
        request.POST or None,
        categories=nominations.open_categories().filter(sector__in=organisations.values("sector")),
        organisations=organisations,
    )
    if request.method == "POST" and form.is_valid():
        try:
            entry = nominations.nomination_create(membership=membership, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(
                request,
                _("We have asked %(name)s for their consent.") % {"name": entry.nominee_name},
            )
            return redirect("awards:nomination", entry.pk)
    return render(request, "awards/nomination_form.html", {"form": form})


def _nomination(request, entry_pk):
    return get_object_or_404(nominations.nominations_visible_to(request.membership), pk=entry_pk)


@require_safe
@membership_required
def nomination_detail(request, entry_pk):
    entry = _nomination(request, entry_pk)
    context = {
        "entry": entry,
        "may_withdraw": nominations.nominator_may_withdraw(request.membership, entry),
    }
    return render(request, "awards/nomination.html", context)


@require_POST
@membership_required
def nomination_withdraw(request, entry_pk):
    entry = _nomination(request, entry_pk)
    try:
        nominations.nomination_withdraw(membership=request.membership, entry=entry)
    except PermissionDenied as exc:
        raise Http404 from exc
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, _("The nomination is withdrawn."))
    return redirect("awards:nomination", entry.pk)


@never_cache
@require_http_methods(["GET", "POST"])
def consent(request, token):
    # The emailed token is the secret that opens this page, like an invitation's.
    entry = nominations.entry_for_consent(token)
    if entry is None:
        raise Http404
    form = ConsentForm(posted(request))
    if request.method == "POST":
        if too_many_requests(request, group="award-consent", rate=CONSENT_RATE):
            return render(request, "awards/consent_too_many.html", status=429)
        if entry.status == entry.Status.AWAITING_CONSENT and form.is_valid():
            consented = form.cleaned_data["answer"] == "consent"
            try:
                entry = nominations.nomination_answer(token=token, consent=consented)
            except ValidationError as error:
                form.add_error(None, error.messages[0])
            else:
                return render(request, "awards/consent_done.html", {"entry": entry})
    return render(request, "awards/consent.html", {"entry": entry, "form": form})
