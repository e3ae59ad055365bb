from django.apps import AppConfig


class BenchmarkingConfig(AppConfig):
    name = "benchmarking"

    def ready(self):
        from certification.signals import certificate_decided
        from surveys.signals import survey_scores_changed

        from . import receivers

        # Surveys and certification sit below benchmarking and cannot call it.
        survey_scores_changed.connect(receivers.survey_scores_changed, dispatch_uid="benchmarks")
        certificate_decided.connect(receivers.certificate_decided, dispatch_uid="benchmarks")
