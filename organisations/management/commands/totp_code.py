"""Print the current two-factor code of a demo account, so a demo can sign in."""

import time

from allauth.mfa import app_settings
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from allauth.mfa.utils import decrypt
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from organisations.models import User


class Command(BaseCommand):
    help = (
        "Print the current TOTP code for a user's authenticator (for demo accounts). "
        "Each code can be used once, so wait for the next one if it has just been used."
    )

    def add_arguments(self, parser):
        parser.add_argument("email", help="The user's email address.")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even when DEBUG is off (this reveals a second factor).",
        )

    def handle(self, *args, email, force=False, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "DEBUG is off. totp_code reveals a second factor, so it refuses to run; "
                "use --force if you really mean to."
            )
        user = User.objects.filter(email__iexact=email.strip()).first()
        if user is None:
            raise CommandError(f"No user has the email address {email}.")
        authenticator = Authenticator.objects.filter(
            user=user, type=Authenticator.Type.TOTP
        ).first()
        if authenticator is None:
            raise CommandError(f"{user.email} has no TOTP authenticator set up.")
        secret = decrypt(authenticator.data["secret"])
        now = int(time.time())
        counter = now // app_settings.TOTP_PERIOD
        self.stdout.write(format_hotp_value(hotp_value(secret, counter)))
        seconds = app_settings.TOTP_PERIOD - now % app_settings.TOTP_PERIOD
        self.stderr.write(f"Valid for about {seconds} more seconds.")
