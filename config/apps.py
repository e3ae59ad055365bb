from django.apps import AppConfig


class ConfigConfig(AppConfig):
    """The top level: settings, URLs, the home page, the demo command and the checks."""

    name = "config"

    def ready(self) -> None:
        from celery.signals import beat_init, worker_init

        from . import checks

        worker_init.connect(checks.refuse_without_secret_key, weak=False)
        beat_init.connect(checks.refuse_without_secret_key, weak=False)
