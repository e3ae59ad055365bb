from django.apps import AppConfig


class CertificationConfig(AppConfig):
    name = "certification"

    def ready(self):
        from . import reliance_scope

        # What regulators read, for the tenancy policy (which may not import this app).
        reliance_scope.register()
