"""Give each pytest-xdist process a Redis database of its own.

Loaded with `-p` so it runs before Django reads its settings. Tests clear the cache and
purge the Celery queue; two processes sharing one database would clear each other's.
The test databases are kept apart by pytest-django itself.
"""

import os
from urllib.parse import urlsplit, urlunsplit


def _own_database(url: str, worker: str) -> str:
    parts = urlsplit(url)
    base = int(parts.path.strip("/") or 0)
    return urlunsplit(parts._replace(path=f"/{base + int(worker.removeprefix('gw'))}"))


_worker = os.environ.get("PYTEST_XDIST_WORKER")
if _worker and os.environ.get("REDIS_URL"):
    os.environ["REDIS_URL"] = _own_database(os.environ["REDIS_URL"], _worker)
