import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

application = get_wsgi_application()

from .checks import refuse_without_secret_key  # noqa: E402  (settings are loaded above)

refuse_without_secret_key()
