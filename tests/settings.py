"""Settings for the test suite: the real settings module in its development mode, made fast.

DATABASE_URL / REDIS_URL from the environment decide whether PostgreSQL and Redis are used.
"""

import os

# A developer's .env (written by `make run`) must not change what the tests see, here or in the
# processes they start (they inherit this).
os.environ.setdefault("HELPDESK_DOTENV", "")
os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("SECRET_KEY", "tests-only-secret-key-" + "k" * 40)

from helpdesk.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Tasks nudged by on_commit run in-process; tests that exercise a real worker and broker
# configure their own Celery app (tests/core/test_celery_*.py).
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
MEDIA_ROOT = BASE_DIR / ".run" / "test-media"  # noqa: F405
OUTBOX_RELAY_IN_ASGI = False
# The concurrency tests hold 20 connections at once, plus the test's own, in this one process
# (tests/parallel.py): more than a production process's share of max_connections, which the
# pool's defaults are sized to (helpdesk/settings.py).
if "POOL_OPTIONS" in DATABASES["default"]:  # noqa: F405
    DATABASES["default"]["POOL_OPTIONS"]["MAX_OVERFLOW"] = 25  # noqa: F405
