"""A key anyone can read signs nothing that others rely on: with DEBUG off and no key of
its own, the platform serves no page and runs no task, and `check --deploy` fails."""

from django.conf import settings
from django.core.checks import Error, Tags, register
from django.core.exceptions import ImproperlyConfigured


@register(Tags.security, deploy=True)
def secret_key_is_set(app_configs=None, **kwargs) -> list[Error]:
    if settings.SECRET_KEY_PROBLEM:
        return [Error(settings.SECRET_KEY_PROBLEM, id="config.E001")]
    return []


def refuse_without_secret_key(**kwargs) -> None:
    """Called where the platform starts to serve: the web application and the workers."""
    if settings.SECRET_KEY_PROBLEM:
        raise ImproperlyConfigured(settings.SECRET_KEY_PROBLEM)
