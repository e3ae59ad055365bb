"""The suite runs the production settings as a plain-HTTP run on one's own machine would:
DEBUG off, HTTPS off and a throwaway key made for this run. Set in the environment, so
the processes the suite starts (a Celery worker, an import) share them."""

import os
import secrets

os.environ.setdefault("HTTPS", "false")
os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))

from config.settings import *  # noqa: E402, F403
