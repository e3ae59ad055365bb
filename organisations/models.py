from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from .querysets import TenantQuerySet


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra_fields)


class User(AbstractUser):
    """A person. What they may see and do comes from their memberships."""

    # The stubs type AbstractUser's username and manager as Django's own; dropping the
    # field and bringing a manager for email sign-in is Django's documented way.
    username = None  # type: ignore[assignment]
    email = models.EmailField(_("email address"), unique=True)
    full_name = models.CharField(_("full name"), max_length=150, blank=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = []

    objects = UserManager()  # type: ignore[misc, assignment]

    class Meta:
        ordering = ["email"]

    def __str__(self):
        return self.full_name or self.email


class Region(models.TextChoices):
    NORTH_EAST = "north-east", _("North East")
    NORTH_WEST = "north-west", _("North West")
    YORKSHIRE = "yorkshire", _("Yorkshire and the Humber")
    EAST_MIDLANDS = "east-midlands", _("East Midlands")
    WEST_MIDLANDS = "west-midlands", _("West Midlands")
    EAST = "east", _("East of England")
    LONDON = "london", _("London")
    SOUTH_EAST = "south-east", _("South East")
    SOUTH_WEST = "south-west", _("South West")
    WALES = "wales", _("Wales")
    SCOTLAND = "scotland", _("Scotland")
    NORTHERN_IRELAND = "northern-ireland", _("Northern Ireland")


class Sector(models.Model):
    """A field of public service. Benchmarks compare only within a sector."""

    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    workforce = models.PositiveIntegerField(
        help_text=_("People employed in the sector: the denominator for take-up figures.")
    )

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Organisation(models.Model):
    class Kind(models.TextChoices):
        APPLICANT = "applicant", _("Applicant organisation")
        CERTIFICATION_BODY = "certification_body", _("Certification body")
        SCHEME_UNIT = "scheme_unit", _("Scheme unit")
        REGULATOR = "regulator", _("Regulator or inspectorate")

    class LegalForm(models.TextChoices):
        PUBLIC = "public", _("Public sector")
        PRIVATE = "private", _("Private sector provider")
        THIRD_SECTOR = "third_sector", _("Third sector")

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    sector = models.ForeignKey(
        Sector,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="organisations",
        verbose_name=_("sector"),
    )
    region = models.CharField(_("region"), max_length=30, choices=Region.choices, blank=True)
    legal_form = models.CharField(
        _("legal form"), max_length=20, choices=LegalForm.choices, default=LegalForm.PUBLIC
    )
    employee_count = models.PositiveIntegerField(_("number of employees"), default=0)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="units",
        verbose_name=_("headquarters"),
        help_text=_("For a unit of a corporate programme: the headquarters that runs it."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TenantQuerySet.as_manager()
    tenant_path = "pk"

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(parent=models.F("pk")), name="organisation_not_own_parent"
            ),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        if self.kind in (self.Kind.APPLICANT, self.Kind.REGULATOR) and not self.sector_id:
            raise ValidationError({"sector": _("Choose the sector this organisation serves.")})
        if self.parent_id:
            if self.kind != self.Kind.APPLICANT:
                raise ValidationError(
                    {"parent": _("Only applicant organisations can be units of a programme.")}
                )
            if self.parent.parent_id:
                raise ValidationError(
                    {"parent": _("A unit cannot itself be the headquarters of another unit.")}
                )

    @property
    def is_headquarters(self):
        return self.kind == self.Kind.APPLICANT and self.units.exists()


class Site(models.Model):
    """A place where an organisation serves customers; certification samples these."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="sites", verbose_name=_("organisation")
    )
    name = models.CharField(_("name"), max_length=200)
    address = models.TextField(_("address"))
    postcode = models.CharField(_("postcode"), max_length=10, blank=True)
    region = models.CharField(_("region"), max_length=30, choices=Region.choices, blank=True)
    employee_count = models.PositiveIntegerField(_("number of employees"), default=0)
    is_central_function = models.BooleanField(
        _("central function"),
        default=False,
        help_text=_("The headquarters or main office that runs the service; visited every time."),
    )

    objects = TenantQuerySet.as_manager()
    tenant_path = "organisation"

    class Meta:
        ordering = ["-is_central_function", "name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="site_name_unique"),
        ]

    def __str__(self):
        return self.name


class Role(models.TextChoices):
    APPLICANT_ADMIN = "applicant_admin", _("Administrator")
    APPLICANT_EDITOR = "applicant_editor", _("Editor")
    INTERNAL_ASSESSOR = "internal_assessor", _("Internal assessor")
    CB_MANAGER = "cb_manager", _("Certification manager")
    ASSESSOR = "assessor", _("Assessor")
    SCHEME_ADMIN = "scheme_admin", _("Scheme administrator")
    SCHEME_ANALYST = "scheme_analyst", _("Scheme analyst")
    REGULATOR = "regulator", _("Regulator")


ROLES_BY_KIND: dict[str, list[Role]] = {
    Organisation.Kind.APPLICANT: [
        Role.APPLICANT_ADMIN,
        Role.APPLICANT_EDITOR,
        Role.INTERNAL_ASSESSOR,
    ],
    Organisation.Kind.CERTIFICATION_BODY: [Role.CB_MANAGER, Role.ASSESSOR],
    Organisation.Kind.SCHEME_UNIT: [Role.SCHEME_ADMIN, Role.SCHEME_ANALYST],
    Organisation.Kind.REGULATOR: [Role.REGULATOR],
}
ADMIN_ROLES = {Role.APPLICANT_ADMIN, Role.CB_MANAGER, Role.SCHEME_ADMIN}
# Roles whose holders must sign in with a second factor.
TWO_FACTOR_ROLES = {Role.CB_MANAGER, Role.ASSESSOR, Role.SCHEME_ADMIN, Role.SCHEME_ANALYST}


class Membership(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=30, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TenantQuerySet.as_manager()
    tenant_path = "organisation"

    class Meta:
        ordering = ["organisation__name", "user__email"]
        constraints = [
            models.UniqueConstraint(fields=["user", "organisation"], name="one_membership_each"),
        ]

    def __str__(self):
        return f"{self.user} – {self.get_role_display()}, {self.organisation}"

    def clean(self):
        if self.role not in ROLES_BY_KIND.get(self.organisation.kind, []):
            raise ValidationError(
                {"role": _("That role does not exist in this kind of organisation.")}
            )

    @property
    def is_admin(self):
        return self.role in ADMIN_ROLES

    @property
    def is_scheme(self):
        return self.organisation.kind == Organisation.Kind.SCHEME_UNIT


class Invitation(models.Model):
    """An admin's invitation to a colleague to join their organisation in a role."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="invitations"
    )
    email = models.EmailField(_("email address"))
    role = models.CharField(_("role"), max_length=30, choices=Role.choices)
    token = models.CharField(max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = TenantQuerySet.as_manager()
    tenant_path = "organisation"

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.email} to {self.organisation}"

    @property
    def is_open(self):
        from django.utils import timezone

        return not self.accepted_at and not self.revoked_at and self.expires_at > timezone.now()


class RegulatorConsent(models.Model):
    """An applicant's consent that a regulator of its sector may rely on its certification
    outcomes and survey results (what exactly: the rules given to `policy.register_reliance`)."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="regulator_consents"
    )
    regulator = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="consents_received"
    )
    given_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    given_at = models.DateTimeField(auto_now_add=True)
    withdrawn_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    objects = TenantQuerySet.as_manager()
    tenant_path = "organisation"

    class Meta:
        ordering = ["-given_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "regulator"],
                condition=models.Q(withdrawn_at__isnull=True),
                name="one_live_consent",
            ),
        ]

    def __str__(self):
        return f"{self.organisation} → {self.regulator}"


class Notification(models.Model):
    """A message for one person, shown in their notification list and emailed once.
    `key` names what it is about, so the same notification is never made twice."""

    # No index of its own: the unique (recipient, key) one serves look-ups by recipient.
    recipient = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="notifications", db_index=False
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    key = models.CharField(max_length=120)
    subject = models.CharField(max_length=200)
    body = models.TextField()
    link = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    email_claimed_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["recipient", "key"], name="notification_once"),
        ]
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=models.Q(emailed_at__isnull=True),
                name="notification_unsent",
            ),
            # The header's unread count: one index-only COUNT per page.
            models.Index(
                fields=["recipient"],
                condition=models.Q(read_at__isnull=True),
                name="notification_unread",
            ),
        ]

    def __str__(self):
        return f"{self.recipient}: {self.subject}"
