import factory
from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

from organisations.models import TWO_FACTOR_ROLES, Organisation, Role, Sector, Site, User
from organisations.services import membership_create

PASSWORD = "a-long-test-password"


class SectorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Sector
        django_get_or_create = ["slug"]

    slug = factory.Sequence(lambda n: f"sector-{n}")
    name = factory.Sequence(lambda n: f"Sector {n}")
    workforce = 100_000


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Organisation {n}")
    kind = Organisation.Kind.APPLICANT
    sector = factory.SubFactory(SectorFactory)
    region = "london"
    employee_count = 250


class SiteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Site

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Site {n}")
    address = "1 High Street\nTownsville"
    postcode = "AB1 2CD"
    region = "london"
    employee_count = 20


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.gov.uk")
    full_name = factory.Sequence(lambda n: f"Person {n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def verified(self, create, extracted, **kwargs):
        self.save()
        EmailAddress.objects.create(user=self, email=self.email, verified=True, primary=True)


ROLE_KIND = {
    Role.APPLICANT_ADMIN: Organisation.Kind.APPLICANT,
    Role.APPLICANT_EDITOR: Organisation.Kind.APPLICANT,
    Role.INTERNAL_ASSESSOR: Organisation.Kind.APPLICANT,
    Role.CB_MANAGER: Organisation.Kind.CERTIFICATION_BODY,
    Role.ASSESSOR: Organisation.Kind.CERTIFICATION_BODY,
    Role.SCHEME_ADMIN: Organisation.Kind.SCHEME_UNIT,
    Role.SCHEME_ANALYST: Organisation.Kind.SCHEME_UNIT,
    Role.REGULATOR: Organisation.Kind.REGULATOR,
}


def member(organisation, role, **user_fields):
    """A person with a verified email in `organisation` with `role`, two-factor set up if needed."""
    user = UserFactory(**user_fields)
    membership = membership_create(user=user, organisation=organisation, role=role)
    if role in TWO_FACTOR_ROLES:
        TOTP.activate(user, generate_totp_secret())
    return membership
