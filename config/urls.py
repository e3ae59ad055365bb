from typing import Any

from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.shortcuts import redirect
from django.urls import include, path, reverse
from django.views.generic import TemplateView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from health_check.views import HealthCheckView
from rest_framework.routers import DefaultRouter

from assessments import api as assessments_api
from awards import api as awards_api
from awards import api_results as awards_results_api
from awards import api_sharing as awards_sharing_api
from benchmarking import api as benchmarking_api
from benchmarking import api_dashboards, api_statistics
from certification import api as certification_api
from certification import api_engagements as engagements_api
from certification import register_api
from organisations import api as organisations_api
from standard import api as standard_api
from surveys import api as surveys_api
from surveys import hosted_urls

from .home import home

router = DefaultRouter()
router.register("sectors", organisations_api.SectorViewSet)
router.register("organisations", organisations_api.OrganisationViewSet)
router.register("sites", organisations_api.SiteViewSet)
router.register("standards", standard_api.StandardViewSet, basename="standard")
router.register("self-assessments", assessments_api.SelfAssessmentViewSet)
router.register("ratings", assessments_api.RatingViewSet)
router.register("evidence", assessments_api.EvidenceViewSet)
router.register("actions", assessments_api.ActionViewSet)
router.register("surveys", surveys_api.SurveyViewSet)
router.register("survey-responses", surveys_api.ResponseViewSet)
router.register("survey-imports", surveys_api.ImportJobViewSet)
router.register("benchmarks", benchmarking_api.BenchmarkViewSet, basename="benchmark")
router.register("sector-figures", benchmarking_api.SectorFigureViewSet)
router.register(
    "certification-bodies", certification_api.CertificationBodyViewSet, basename="certificationbody"
)
router.register("assessor-profiles", certification_api.AssessorProfileViewSet)
router.register("conflict-declarations", certification_api.ConflictDeclarationViewSet)
router.register("applications", certification_api.ApplicationViewSet)
router.register("engagements", engagements_api.EngagementViewSet)
router.register("site-visits", engagements_api.SiteVisitViewSet)
router.register("findings", engagements_api.FindingViewSet)
router.register("finding-actions", engagements_api.FindingActionViewSet)
router.register("decisions", engagements_api.DecisionViewSet)
router.register("certificates", engagements_api.CertificateViewSet)
router.register("regulator-consents", certification_api.RegulatorConsentViewSet)
router.register("award-cycles", awards_api.AwardCycleViewSet, basename="award-cycle")
router.register("award-categories", awards_api.CategoryViewSet, basename="award-category")
router.register("case-studies", awards_sharing_api.CaseStudyViewSet)
router.register("award-results", awards_results_api.AwardResultViewSet, basename="award-result")
router.register(
    "register/certificates",
    register_api.RegisterCertificateViewSet,
    basename="register-certificate",
)


def admin_login(request, extra_context=None):
    """The admin signs in through the same account pages, two-factor included."""
    if request.user.is_authenticated:
        if request.user.is_staff:
            return redirect("admin:index")
        raise Http404
    return redirect_to_login(
        request.GET.get("next", reverse("admin:index")), reverse("account_login")
    )


# The admin signs in through allauth: its own login view is replaced on the site object.
admin.site.login = admin_login  # type: ignore[method-assign]
admin.site.site_header = "Customer Voice administration"
admin.site.site_title = "Customer Voice"

health_checks: list[str | tuple[str, dict[str, Any]]] = [
    "health_check.checks.Database",
    "health_check.checks.Cache",
    "health_check.checks.Storage",
]
if settings.REDIS_URL:
    from redis.asyncio import Redis as AsyncRedis

    health_checks.append(
        (
            "health_check.contrib.redis.Redis",
            {"client_factory": lambda: AsyncRedis.from_url(settings.REDIS_URL)},
        )
    )

urlpatterns = [
    path(
        "api/dashboards/consistency/",
        api_statistics.ConsistencyView.as_view(),
        name="api-dashboard-consistency",
    ),
    path(
        "api/dashboards/effectiveness/",
        api_statistics.EffectivenessView.as_view(),
        name="api-dashboard-effectiveness",
    ),
    path("api/", include(router.urls)),
    path("api/me/", organisations_api.MeView.as_view(), name="api-me"),
    path(
        "api/dashboards/take-up/",
        api_dashboards.TakeUpView.as_view(),
        name="api-dashboard-take-up",
    ),
    path(
        "api/dashboards/certifications/",
        api_dashboards.CertificationsView.as_view(),
        name="api-dashboard-certifications",
    ),
    path(
        "api/dashboards/pipeline/",
        api_dashboards.PipelineView.as_view(),
        name="api-dashboard-pipeline",
    ),
    path(
        "api/dashboards/satisfaction/",
        api_dashboards.SatisfactionView.as_view(),
        name="api-dashboard-satisfaction",
    ),
    path(
        "api/dashboards/departments/",
        api_dashboards.DepartmentsView.as_view(),
        name="api-dashboard-departments",
    ),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("health/", HealthCheckView.as_view(checks=health_checks), name="health"),
]

urlpatterns += i18n_patterns(
    path("", home, name="home"),
    path("", include("organisations.urls")),
    path("standard/", include("standard.urls")),
    path("evidence/", include("assessments.evidence_urls")),
    path("assessments/reports/", include("assessments.report_urls")),
    path("assessments/", include("assessments.urls")),
    path("surveys/reports/", include("surveys.report_urls")),
    path("surveys/", include("surveys.urls")),
    path("surveys/<int:survey_pk>/links/", include(hosted_urls.links)),
    path("certification/reports/", include("certification.report_urls")),
    path("reliance/", include("certification.reliance_urls")),
    path("s/", include(hosted_urls.public)),
    path("certification/", include("certification.urls")),
    path("benchmarks/reports/", include("benchmarking.report_urls")),
    path("benchmarks/", include("benchmarking.urls")),
    path("awards/", include("awards.urls")),
    path("notifications/", include("organisations.notification_urls")),
    path("register/", include("certification.register_urls")),
    path("certificates/", include("certification.certificate_urls")),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
    path("cookies/", TemplateView.as_view(template_name="pages/cookies.html"), name="cookies"),
    path(
        "accessibility/",
        TemplateView.as_view(template_name="pages/accessibility.html"),
        name="accessibility",
    ),
    prefix_default_language=False,
)

handler404 = "config.views.page_not_found"
handler500 = "config.views.server_error"
handler403 = "config.views.permission_denied"
