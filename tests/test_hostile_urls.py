"""Walks every URL pattern, pages and API alike, with hostile path segments and query
strings, as the public and as people of each kind of organisation: nothing answers 500.

Each route is first requested as it is meant to be, noting every query parameter a page
or filter reads; then every route gets each of those parameters with a NUL byte, an
overlong number and odd Unicode, and each of its path segments replaced by the same.
Each request is rolled back, so the walk's order changes nothing."""

import contextlib
from urllib.parse import quote

import pytest
from django.db import transaction
from django.test import Client
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse
from django.urls.converters import IntConverter
from django.utils.datastructures import MultiValueDict

from organisations.middleware import SESSION_KEY
from organisations.models import Role

from .tenancy.test_cross_tenant import KWARGS, PUBLIC, alpha, alpha_reports, beta, world  # noqa: F401

NUL, OVERLONG, ODD = "north\x00shire", "9" * 300, "\u202e\ufeffe\u0301\U0001d518\U0001f600"
HOSTILE_TEXT = (NUL, OVERLONG, ODD)
# In a query string NUL and odd Unicode go together: what survives NUL's removal is odd.
HOSTILE_QUERY = (NUL + ODD, OVERLONG)
HOSTILE_NUMBER = "9" * 40
MARKERS = ("zzhostilezz", "97531")
ACCEPT = "text/html,application/json"


class _RolledBack(Exception):
    pass


def _routes(patterns=None, namespace=None, outer=None):
    """(name, {argument: converter}) for every named route, the include's arguments too."""
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        converters = {
            **(outer or {}),
            **{arg: None for arg in entry.pattern.regex.groupindex},
            **getattr(entry.pattern, "converters", {}),
        }
        if isinstance(entry, URLResolver):
            ns = entry.namespace
            inner = f"{namespace}:{ns}" if namespace and ns else (ns or namespace)
            yield from _routes(entry.url_patterns, inner, converters)
        elif isinstance(entry, URLPattern) and entry.name:
            yield (f"{namespace}:{entry.name}" if namespace else entry.name), converters


def _value(name, arg, alpha):
    if arg in PUBLIC.get(name, {}):
        return PUBLIC[name][arg]
    key = f"{name}:{arg}" if f"{name}:{arg}" in KWARGS else arg
    if key in KWARGS:
        return KWARGS[key](alpha)
    return "unknown"


def _path(name, args, alpha, hostile_arg=None):
    """The route's address with Alpha's objects (or ones), `hostile_arg` left as a marker."""
    for marker in MARKERS:
        for value in (lambda arg: _value(name, arg, alpha), lambda arg: 1):
            kwargs = {arg: marker if arg == hostile_arg else value(arg) for arg in args}
            with contextlib.suppress(NoReverseMatch):
                return reverse(name, kwargs=kwargs), marker
    return None, None


@contextlib.contextmanager
def _noting_parameters_read(read: set):
    originals = {
        method: getattr(MultiValueDict, method) for method in ("get", "getlist", "__getitem__")
    }

    def noting(method):
        def wrapper(self, key, *args, **kwargs):
            read.add(key)
            return originals[method](self, key, *args, **kwargs)

        return wrapper

    for method in originals:
        setattr(MultiValueDict, method, noting(method))
    try:
        yield
    finally:
        for method, original in originals.items():
            setattr(MultiValueDict, method, original)


def _status(client, method, path, data=None):
    """The answer's status, the request's changes rolled back; any error counts as 500."""
    try:
        with transaction.atomic():
            response = getattr(client, method)(path, data, HTTP_ACCEPT=ACCEPT)
            if response.streaming:
                b"".join(response.streaming_content)
            status = response.status_code
            raise _RolledBack
    except _RolledBack:
        return status
    except Exception as error:  # a failure while streaming is a failure too
        return f"500 ({error!r})"


def _client(membership):
    client = Client(raise_request_exception=False)
    if membership is not None:
        client.force_login(membership.user)
        session = client.session
        session[SESSION_KEY] = membership.pk
        session.save()
    return client


ROLES = [None, Role.APPLICANT_ADMIN, Role.CB_MANAGER, Role.REGULATOR, Role.SCHEME_ADMIN]
# Path segments reach the same lookups whoever asks: the public and one member walk them.
PATH_WALKERS = {None, Role.APPLICANT_ADMIN}


def _walked(role):
    """Routes in a stable order. A format suffix (.json) is walked through its twin without
    one; the admin, which turns away everyone but staff, by the public."""
    return sorted(
        (name, args)
        for name, args in _routes()
        if "format" not in args and (role is None or not name.startswith("admin:"))
    )


@pytest.mark.usefixtures("alpha_reports")
@pytest.mark.parametrize("role", ROLES, ids=lambda role: role or "public")
def test_no_route_fails_on_hostile_paths_or_query_strings(role, alpha, scheme):
    membership = scheme[role] if role == Role.SCHEME_ADMIN else (alpha[role] if role else None)
    client = _client(membership)
    routes = _walked(role)
    failures, read = [], set()
    with _noting_parameters_read(read):
        for name, args in routes:
            path, _ = _path(name, args, alpha)
            status = _status(client, "get", path) if path else 200
            if not str(status).startswith(("1", "2", "3", "4")):
                failures.append(f"GET {path}: {status}")
    read = {key for key in read if isinstance(key, str) and not key.startswith("_")}
    assert {"q", "page"} <= read, "the walk did not note the parameters pages read"
    for name, args in routes:
        path, _ = _path(name, args, alpha)
        for hostile in HOSTILE_QUERY if path else ():
            status = _status(client, "get", path, {key: hostile for key in read})
            if not str(status).startswith(("1", "2", "3", "4")):
                failures.append(f"GET {path} with {hostile[:20]!r} in every parameter: {status}")
        for arg, converter in args.items() if role in PATH_WALKERS else ():
            template, marker = _path(name, args, alpha, hostile_arg=arg)
            if template is None:
                continue
            number = isinstance(converter, IntConverter) or marker.isdigit()
            for hostile in (HOSTILE_NUMBER,) if number else HOSTILE_TEXT:
                hostile_path = template.replace(marker, quote(hostile, safe=""))
                for method in ("get", "post") if hostile == NUL else ("get",):
                    status = _status(client, method, hostile_path)
                    if not str(status).startswith(("1", "2", "3", "4")):
                        failures.append(f"{method.upper()} {hostile_path[:120]}: {status}")
    assert not failures, "\n".join(failures[:40])
