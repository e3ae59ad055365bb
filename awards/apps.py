from django.apps import AppConfig


class AwardsConfig(AppConfig):
    name = "awards"

    def ready(self):
        from certification.signals import holder_page_parts
        from standard.signals import element_page_parts

        from . import receivers

        # The register and the standard sit below awards and cannot call it.
        holder_page_parts.connect(receivers.holder_page_parts, dispatch_uid="awards")
        element_page_parts.connect(receivers.element_page_parts, dispatch_uid="awards")
