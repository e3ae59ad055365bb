"""What a request may carry into a query: nothing a database cannot hold."""

from django.http import Http404, QueryDict

# PostgreSQL's text holds any character but NUL; it is the one a URL can still carry
# after decoding (bytes that are not UTF-8 arrive re-quoted).
UNHOLDABLE = "\x00"


def holdable(text: str) -> str:
    """The text without the characters a database cannot hold."""
    return text.replace(UNHOLDABLE, "")


class HoldableInputMiddleware:
    """An address with a character no database holds names nothing: it answers 404,
    whatever view or converter it reaches. Query parameters are cleaned instead, as a
    search drops what it cannot use, so that no page or API filter ever sees one."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if UNHOLDABLE in request.path_info:
            raise Http404
        if any(UNHOLDABLE in "".join([key, *values]) for key, values in request.GET.lists()):
            request.GET = _cleaned(request.GET)
        return self.get_response(request)


def _cleaned(query: QueryDict) -> QueryDict:
    cleaned = QueryDict(mutable=True)
    for key, values in query.lists():
        cleaned.setlist(holdable(key), [holdable(value) for value in values])
    cleaned._mutable = False
    return cleaned
