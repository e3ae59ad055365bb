"""Error pages in the service's own layout, or JSON for the API."""

from django.http import HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.template.loader import get_template


def _is_api(request):
    return request.path_info.startswith("/api/")


def page_not_found(request, exception=None):
    if _is_api(request):
        return JsonResponse({"detail": "Not found."}, status=404)
    return render(request, "errors/404.html", status=404)


def permission_denied(request, exception=None):
    if _is_api(request):
        return JsonResponse({"detail": "You do not have permission to do this."}, status=403)
    return render(request, "errors/403.html", status=403)


def server_error(request):
    if _is_api(request):
        return JsonResponse({"detail": "Something went wrong on our side."}, status=500)
    # No context processors: the request may have failed before middleware ran.
    return HttpResponseServerError(get_template("errors/500.html").render())
