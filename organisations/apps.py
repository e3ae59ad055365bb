from django.apps import AppConfig


class OrganisationsConfig(AppConfig):
    name = "organisations"

    def ready(self):
        from auditlog.registry import auditlog

        from .models import Invitation, Membership, Organisation, Sector, Site

        # Who changed what in tenant data; the scheme unit reads it at /scheme/history/.
        for model in (Organisation, Site, Membership, Invitation, Sector):
            auditlog.register(model, exclude_fields=["token"] if model is Invitation else None)
