"""Limits on how often one address may ask for a public page or API."""

from django.conf import settings
from django_ratelimit.core import is_ratelimited


def too_many_requests(request, *, group: str, rate: str) -> bool:
    """Counts the request against its address's limit (django-ratelimit, reading the
    address where RATELIMIT_IP_META_KEY says) and tells whether it is over. A request
    that carries no address at all (a misconfigured proxy) shares one count."""
    key = "ip" if request.META.get(settings.RATELIMIT_IP_META_KEY) else _no_address
    return is_ratelimited(request, group=group, key=key, rate=rate, increment=True)


def _no_address(group, request) -> str:
    return "no-address"
