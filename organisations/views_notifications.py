"""Each person's notifications: the list, and marking them read. A person only ever
sees their own; anyone else's answers 404."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import BooleanField, ExpressionWrapper, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from . import notifications
from .models import Notification

PER_PAGE = 25


def _back(request):
    page = request.POST.get("page", "")
    url = redirect("notifications:list").url
    return redirect(f"{url}?page={page}" if page.isdigit() else url)


@login_required
def notification_list(request):
    unread_first = ExpressionWrapper(Q(read_at__isnull=True), output_field=BooleanField())
    mine = (
        Notification.objects.filter(recipient=request.user)
        .select_related("organisation")
        .alias(unread=unread_first)
        .order_by("-unread", "-created_at", "-pk")
    )
    page = Paginator(mine, PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "organisations/notifications.html", {"page": page})


@require_POST
@login_required
def notification_read(request, notification_pk):
    notification = get_object_or_404(Notification, pk=notification_pk, recipient=request.user)
    notifications.notification_mark_read(user=request.user, notification=notification)
    return _back(request)


@require_POST
@login_required
def notification_read_all(request):
    notifications.notifications_mark_all_read(user=request.user)
    return _back(request)
