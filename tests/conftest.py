import io
from contextlib import contextmanager
from dataclasses import dataclass, field

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings
from django.utils import translation

from assessments.models import Evidence, ReportJob, SelfAssessment
from config.celery import app as celery_app
from organisations.models import Invitation, Membership, Organisation, Role, Site
from organisations.services import invitation_create
from standard.selectors import current_standard

from .factories import OrganisationFactory, SectorFactory, SiteFactory, member


@contextmanager
def services_for_tests():
    """Tasks run in the test's own process unless a test starts a real worker; mail stays
    in memory; passwords are hashed fast (strong hashing is slow by design, and tests need
    it only to be correct)."""
    celery_app.conf.task_always_eager = True
    with override_settings(
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
    ):
        yield
    celery_app.conf.task_always_eager = settings.CELERY_TASK_ALWAYS_EAGER


@pytest.fixture(autouse=True)
def _celery_in_process():
    with services_for_tests():
        yield


@pytest.fixture(autouse=True)
def _english_unless_asked():
    """Each test starts in English: a request under /cy/ leaves Welsh active in the thread,
    which would change what later tests' services say and the addresses reverse() gives."""
    translation.activate("en")
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _clear_cache():
    from django.core.cache import cache

    cache.clear()


@dataclass
class Tenant:
    """One applicant programme (headquarters, unit, sites), a certification body and a
    regulator, with a person in every role."""

    applicant: Organisation
    unit: Organisation
    site: Site
    certification_body: Organisation
    regulator: Organisation
    members: dict[str, Membership] = field(default_factory=dict)
    invitation: Invitation | None = None
    evidence: Evidence | None = None
    # Set by fixtures that need them (the standard is too heavy to load for every tenant).
    self_assessment: SelfAssessment | None = None
    report_job: ReportJob | None = None

    def __getitem__(self, role):
        return self.members[role]


def build_tenant(label: str) -> Tenant:
    sector = SectorFactory(slug=f"sector-{label.lower()}", name=f"Sector {label}")
    applicant = OrganisationFactory(name=f"{label} Borough Council", sector=sector)
    unit = OrganisationFactory(name=f"{label} Housing Unit", sector=sector, parent=applicant)
    site = SiteFactory(organisation=applicant, name=f"{label} Civic Centre")
    SiteFactory(organisation=unit, name=f"{label} Housing Office")
    body = OrganisationFactory(
        name=f"{label} Certification Ltd", kind=Organisation.Kind.CERTIFICATION_BODY, sector=None
    )
    regulator = OrganisationFactory(
        name=f"{label} Inspectorate", kind=Organisation.Kind.REGULATOR, sector=sector
    )
    tenant = Tenant(applicant, unit, site, body, regulator)
    for role in (Role.APPLICANT_ADMIN, Role.APPLICANT_EDITOR, Role.INTERNAL_ASSESSOR):
        tenant.members[role] = member(applicant, role, email=f"{role}@{label.lower()}.example")
    for role in (Role.CB_MANAGER, Role.ASSESSOR):
        tenant.members[role] = member(body, role, email=f"{role}@{label.lower()}.example")
    tenant.members[Role.REGULATOR] = member(
        regulator, Role.REGULATOR, email=f"regulator@{label.lower()}.example"
    )
    tenant.invitation = invitation_create(
        membership=tenant[Role.APPLICANT_ADMIN],
        email=f"newcomer@{label.lower()}.example",
        role=Role.APPLICANT_EDITOR,
    )
    tenant.evidence = Evidence.objects.create(
        organisation=applicant,
        title=f"{label} Evidence Note",
        kind=Evidence.Kind.NOTE,
        text="Minutes of the customer panel, March.",
        added_by=tenant[Role.APPLICANT_ADMIN].user,
    )
    return tenant


@pytest.fixture
def alpha(db):
    return build_tenant("Alpha")


@pytest.fixture
def beta(db):
    return build_tenant("Beta")


@pytest.fixture
def scheme(db):
    unit = OrganisationFactory(name="Scheme Unit", kind=Organisation.Kind.SCHEME_UNIT, sector=None)
    return {
        Role.SCHEME_ADMIN: member(unit, Role.SCHEME_ADMIN, email="admin@scheme.example"),
        Role.SCHEME_ANALYST: member(unit, Role.SCHEME_ANALYST, email="analyst@scheme.example"),
    }


def load_standard() -> None:
    """The sectors and every shipped version of the standard, as on a new installation."""
    call_command("load_sectors", verbosity=0, stdout=io.StringIO())
    call_command("load_standard", verbosity=0, stdout=io.StringIO())


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Load the standard once per test database; each test's changes are rolled back."""
    with django_db_blocker.unblock():
        load_standard()


@pytest.fixture
def standard(db):
    """The current standard. A test that commits (a browser or worker test) empties the
    database when it ends, so the next such test loads the standard again."""
    if current_standard() is None:
        load_standard()
    return current_standard()


@pytest.fixture
def login(client):
    """Sign a membership's person in (past the password and second factor) and act for it."""

    def _login(membership):
        client.force_login(membership.user)
        session = client.session
        session["active_membership_id"] = membership.pk
        session.save()
        return client

    return _login
