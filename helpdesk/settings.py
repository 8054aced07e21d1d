"""Settings, read from the environment (CONTRACT section 2).

One module for every mode: `DEBUG=1` (what `make run` sets) gets development-safe defaults;
with DEBUG off the process refuses to start without the secrets it needs.
"""

from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

# [harden-ops] `make run` writes a local .env (git- and docker-ignored) with the development
# DEBUG, SECRET_KEY and SITE_URL, so that `python manage.py <command>` from the README works as
# written. What the environment says wins over it. The tests and CI ignore it
# (HELPDESK_DOTENV="": tests/settings.py, .ci/run); a production process has none.
DOTENV = env.str("HELPDESK_DOTENV", default=str(BASE_DIR / ".env"))
if DOTENV and Path(DOTENV).is_file():
    environ.Env.read_env(DOTENV)  # only sets what the environment does not
# [/harden-ops]

# Runtime state of the embedded (no PostgreSQL/Redis) mode: the filesystem broker's folders.
# Configurable so that a second installation (or a test) does not share the developer's queue.
RUN_DIR = Path(env.str("HELPDESK_RUN_DIR", default=str(BASE_DIR / ".run")))

DEBUG = env.bool("DEBUG", default=False)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "django-insecure-development-only-key-never-used-in-production"

_DEV_HOSTS = ["127.0.0.1", "localhost", "[::1]", "testserver"]
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=_DEV_HOSTS if DEBUG else [])
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DEBUG is off.")
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
CSRF_TRUSTED_ORIGINS = env.list(
    "CSRF_TRUSTED_ORIGINS",
    # [harden-ops] SITE_URL too: `PORT=8001 make run` moves it
    default=list(dict.fromkeys(["http://127.0.0.1:8000", "http://localhost:8000", SITE_URL]))
    if DEBUG
    else [],
)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "knox",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "axes",
    # TOTP second factor (issue 15 hole 1, harden-auth: accounts/twofactor.py)
    "django_otp",
    "django_otp.plugins.otp_totp",
    "accounts",
    "core",
    "sla",
    "tickets",
    "chat",
    "helpdesk",  # project-wide management commands (seed_demo)
]

MIDDLEWARE = [
    # Outermost: CSP on every answer, no-store on API answers and attachments, including the
    # JSON errors the next one writes (harden-auth, core/headers.py).
    "core.headers.SecurityHeadersMiddleware",
    # First: it sees every answer, so that every error under /api/ is JSON (and NUL is refused).
    "core.middleware.ApiErrorsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Whose language the answer speaks: own setting, visitor's choice, tenant, browser
    # (issue 14, core/language.py; replaces Django's LocaleMiddleware).
    "core.language.LanguageMiddleware",
    # Ends a browser session idle for SESSION_IDLE_MINUTES (harden-auth, accounts/auth.py).
    "accounts.auth.IdleSessionMiddleware",
    # request.user.is_verified(), then the second factor where it is required (harden-auth).
    "django_otp.middleware.OTPMiddleware",
    "accounts.twofactor.SecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "accounts.middleware.AdminDoorMiddleware",
    # Axes last: it turns a lockout flagged during authentication into our 429 response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "helpdesk.urls"
ASGI_APPLICATION = "helpdesk.asgi.application"
WSGI_APPLICATION = None
# Threads per uvicorn worker process running Django's (synchronous) HTTP handling (asgi.py).
WEB_THREADS = env.int("WEB_THREADS", default=4)
# [chat-bench] Threads per uvicorn worker process running the WebSockets' database calls
# (accounts/sockets.py; Channels' default is one thread for all of them). Each holds a pooled
# connection while it runs a call, so a process uses up to WEB_THREADS + SOCKET_DB_THREADS.
SOCKET_DB_THREADS = env.int("SOCKET_DB_THREADS", default=4)

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.tenancy",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
# [harden-ops] PostgreSQL connection totals (README, "Configuration"). Every process keeps its
# own pool, so at most
#   (WEB_CONCURRENCY + CELERY_WORKER_CONCURRENCY + 2)
#     x (DATABASE_POOL_SIZE + DATABASE_POOL_OVERFLOW)
# connections are open (+2: beat and one management command such as migrate), and that must fit
# DATABASE_MAX_CONNECTIONS less PostgreSQL's 3 superuser-reserved ones. The pool's defaults take
# one process's share; `manage.py check` warns (helpdesk.W001, helpdesk/checks.py) when the
# configured pool exceeds it.
WEB_CONCURRENCY = env.int("WEB_CONCURRENCY", default=1)  # uvicorn reads it too
# Celery's worker processes (its own default is one per CPU, which the total cannot foresee).
CELERY_WORKER_CONCURRENCY = env.int("CELERY_WORKER_CONCURRENCY", default=2)
DATABASE_MAX_CONNECTIONS = env.int("DATABASE_MAX_CONNECTIONS", default=100)
DATABASE_PROCESSES = WEB_CONCURRENCY + CELERY_WORKER_CONCURRENCY + 2
DATABASE_PROCESS_SHARE = max(1, (DATABASE_MAX_CONNECTIONS - 3) // DATABASE_PROCESSES)
_pool_size = env.int("DATABASE_POOL_SIZE", default=min(WEB_THREADS, DATABASE_PROCESS_SHARE))
_pool_overflow = env.int(
    "DATABASE_POOL_OVERFLOW", default=max(0, DATABASE_PROCESS_SHARE - _pool_size)
)
# [/harden-ops]
_DATABASE_URL = env.str("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
if not _DATABASE_URL.strip():
    # Set but empty (a blank line in an env file): say so, rather than a KeyError, and never
    # fall back to SQLite behind a deployer's back.
    raise ImproperlyConfigured(
        "DATABASE_URL is set but empty: unset it for SQLite, or give postgres://user:pass@host/db."
    )
DATABASES = {"default": env.db_url_config(_DATABASE_URL)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process, worker and beat read while one writes; IMMEDIATE transactions
    # take the write lock up front so two writers queue on the busy timeout instead of failing
    # with "database is locked" halfway through.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Connections come from a per-process pool (django-db-connection-pool: SQLAlchemy's
    # QueuePool, pinged on checkout) and go back to it at the end of each request, task or
    # socket call, whatever thread ran it. Django's own CONN_MAX_AGE keeps one per thread, and
    # the threads here come and go (Channels' database_sync_to_async; HTTP ran a fresh thread
    # per request before it moved to a2wsgi): it leaked until PostgreSQL refused clients.
    # Measured with bench/tickets.py: creates 42 -> 78/s, list p95 62 -> 32 ms (a new backend
    # costs ~3 ms plus cold catalog caches). The pool keeps WEB_THREADS connections; the
    # overflow is only a cap (the rest of the process's share, above), reached by parallel work.
    DATABASES["default"]["ENGINE"] = "dj_db_conn_pool.backends.postgresql"
    DATABASES["default"]["POOL_OPTIONS"] = {
        "POOL_SIZE": _pool_size,
        "MAX_OVERFLOW": _pool_overflow,
        "RECYCLE": 15 * 60,
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"


# --- Redis: broker on DB N, cache on N+1, channel layer on N+2 ----------------------------
def _redis_db_url(url: str, offset: int) -> str:
    parts = urlsplit(url)
    base_db = int(parts.path.strip("/") or 0)
    return urlunsplit(parts._replace(path=f"/{base_db + offset}"))


# [harden-ops] The channel layer lands on N+2: Redis has databases 0-15, so N is at most 13 (a
# larger N failed only at the first live event, far from its cause).
def _check_redis_url(url: str) -> None:
    number = urlsplit(url).path.strip("/") or "0"
    if not number.isdecimal() or not 0 <= int(number) <= 13:
        raise ImproperlyConfigured(
            f"REDIS_URL must end in a database number from 0 to 13, not {number!r}: the broker "
            "uses N, the cache N+1 and the channel layer N+2 (Redis has databases 0-15)."
        )


# [/harden-ops]


# [chat-bench] The production channel layer (issue 11 item 7; README "Production channel layer").
# Redis pub/sub (channels_redis.pubsub), not channels_redis.core's lists, because with thousands
# of sockets per process the lists layer is the bottleneck and loses messages silently:
# - it keeps ONE Redis sorted set per process for the "specific" channels of all its sockets, so
#   `capacity` is a process-wide cap (beyond it group_send drops the message with an INFO log),
#   and every message costs a Lua script plus four round trips to receive (BZPOPMIN, a backup
#   set, a cleanup script), handed between the sockets' coroutines through one lock: measured
#   with bench/chat.py --mode layer (500 chats, one socket per side in two processes), group
#   send -> receive p50/p99 66/398 ms at 200 sends/s and 221/3,949 ms at 400/s (the sender
#   fell behind), against 0.8/4.1 ms at 400/s with pub/sub;
# - a group membership expires after `group_expiry` (a day): a socket open longer silently
#   stops receiving its group's events, and the channels of a process that died stay in their
#   groups (each send still writes to them) until then.
# With pub/sub a group send is one PUBLISH, a membership is a live SUBSCRIBE that ends with the
# socket or its process, and each process reads one subscriber connection. Both layers deliver
# at most once (lists: beyond capacity or expiry; pub/sub: while the Redis connection is down);
# nothing depends on more, since chat sockets replay from the database (`?after=`) and queue
# sockets catch up (`?since=`). CHANNEL_LAYER_BACKEND=lists switches back (for comparison).
# Each process holds two Redis connections for the layer (publish, subscribe) whatever its
# socket count; the keepalive notices a Redis that went away, the connect timeout a down one.
def _redis_channel_layer(url: str) -> dict:
    host = {"address": url, "socket_connect_timeout": 5, "socket_keepalive": True}
    kind = env.str("CHANNEL_LAYER_BACKEND", default="pubsub")
    if kind == "pubsub":
        return {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [host]},
        }
    if kind != "lists":
        raise ImproperlyConfigured(f"CHANNEL_LAYER_BACKEND must be pubsub or lists, not {kind!r}")
    return {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {
            # One pool per process and event loop; one receive loop holds a connection.
            "hosts": [{**host, "max_connections": 4096}],
            # Per process, not per socket (all its sockets share one Redis key).
            "capacity": 5000,
            "expiry": 60,
            # A week: longer than any socket stays open between two reconnects.
            "group_expiry": 7 * 86400,
        },
    }


# [/chat-bench]

REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    _check_redis_url(REDIS_URL)
    CELERY_BROKER_URL = _redis_db_url(REDIS_URL, 0)
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": _redis_db_url(REDIS_URL, 1),
            # Fail fast so that a Redis outage degrades (throttles open) instead of hanging.
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    CHANNEL_LAYERS = {"default": _redis_channel_layer(_redis_db_url(REDIS_URL, 2))}
else:
    CELERY_BROKER_URL = "filesystem://"
    _queue = RUN_DIR / "celery" / "queue"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue),
        "data_folder_out": str(_queue),
        "processed_folder": str(RUN_DIR / "celery" / "processed"),
        "control_folder": str(RUN_DIR / "celery" / "control"),
        "store_processed": False,
    }
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# The ASGI process relays live outbox events itself when there is no Redis to carry them.
OUTBOX_RELAY_IN_ASGI = env.bool("OUTBOX_RELAY_IN_ASGI", default=not REDIS_URL)
# Nudges to the relay are gathered this long per process and sent as one task (0: at once).
OUTBOX_NUDGE_DELAY_MS = env.int("OUTBOX_NUDGE_DELAY_MS", default=20)
# A relay holds the rows it claimed this long (it stops sending at half of it); past it, a row
# whose relay died between sending and marking is sent again.
OUTBOX_LEASE_SECONDS = env.int("OUTBOX_LEASE_SECONDS", default=300)
# Tries before a message is dead-lettered (shown in the platform admin, which can retry it).
# Backoff doubles up to 30 minutes, so 160 tries span about three days: an SMTP or Redis outage
# of a weekend still delivers by itself (CONTRACT section 5: nothing is lost while they are down).
OUTBOX_MAX_ATTEMPTS = env.int("OUTBOX_MAX_ATTEMPTS", default=160)
# Delivered rows are kept this long (to look up what was sent), then pruned by the beat sweep.
OUTBOX_RETENTION_DAYS = env.int("OUTBOX_RETENTION_DAYS", default=7)
# Seconds a live event may take to reach the channel layer before it is given up.
LIVE_SEND_TIMEOUT = env.float("LIVE_SEND_TIMEOUT", default=2.0)
# [harden-ops] /healthz waits this long for all its checks (run side by side) before it
# answers 503 naming the ones that did not answer.
HEALTHZ_CHECK_TIMEOUT = env.float("HEALTHZ_CHECK_TIMEOUT", default=2.0)

# --- Celery ---------------------------------------------------------------------------------
CELERY_TIMEZONE = "UTC"
CELERY_ENABLE_UTC = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
# Tasks are idempotent, so a task whose worker died is run again rather than lost.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Delivering the outbox waits on SMTP (up to EMAIL_TIMEOUT a message): it has a queue, and in
# production a worker, of its own, so that a hung mail server cannot hold up the SLA jobs
# behind a pile of deliveries (issue 15 fault tests, tests/hardening/test_faults_smtp.py).
OUTBOX_QUEUE = "outbox"
CELERY_TASK_ROUTES = {
    "core.tasks.deliver_outbox_messages": {"queue": OUTBOX_QUEUE},
    "core.tasks.relay_outbox": {"queue": OUTBOX_QUEUE},
}
CELERY_BEAT_SCHEDULE = {
    "relay-outbox": {
        "task": "core.tasks.relay_outbox",
        "schedule": env.float("OUTBOX_RELAY_SECONDS", default=10.0),
    },
    # Delivered rows past OUTBOX_RETENTION_DAYS: a DELETE that need not run every relay tick.
    "prune-outbox": {"task": "core.tasks.prune_outbox", "schedule": 3600.0},
    "autoclose-idle": {"task": "helpdesk.tasks.autoclose_idle", "schedule": 60.0},
    "escalate-sla-breaches": {
        "task": "sla.tasks.escalate_sla_breaches",
        "schedule": env.float("SLA_ESCALATE_SECONDS", default=15.0),
    },
    "compute-sla-deadlines": {
        "task": "sla.tasks.compute_sla_deadlines",
        "schedule": env.float("SLA_DEADLINES_SECONDS", default=60.0),
    },
    # Inbound mailboxes (issue 13, tickets/mail/): every tenant's, each in its own scope.
    "poll-mailboxes": {"task": "tickets.tasks.poll_mailboxes", "schedule": 60.0},
    # The SLA report's rollup rows (+/- deltas) folded into one per key (tickets/report_rollup).
    "compact-report-counts": {"task": "tickets.tasks.compact_report_counts", "schedule": 300.0},
    # Expired API tokens and ws-tickets (harden-auth, accounts/tasks.py).
    "purge-expired-credentials": {
        "task": "accounts.tasks.purge_expired_credentials",
        "schedule": 3600.0,
    },
}

# --- Email ----------------------------------------------------------------------------------
# [harden-ops] A console or in-memory backend in production would print password-set links
# into the logs, or drop every email: with DEBUG off a real EMAIL_URL is required.
_NOT_DELIVERING = {
    "django.core.mail.backends.console.EmailBackend",
    "django.core.mail.backends.locmem.EmailBackend",
    "django.core.mail.backends.dummy.EmailBackend",
    "django.core.mail.backends.filebased.EmailBackend",
}
if not DEBUG and env.str("EMAIL_URL", default="") == "":
    raise ImproperlyConfigured(
        "EMAIL_URL must be set when DEBUG is off (e.g. smtp+tls://user:pass@host:587)."
    )
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
if not DEBUG and EMAIL_BACKEND in _NOT_DELIVERING:  # noqa: F821 (set by the line above)
    raise ImproperlyConfigured(
        "EMAIL_URL must name a server that delivers (smtp://, smtp+tls://, smtp+ssl://) "
        "when DEBUG is off: console, memory and file backends print or lose emails."
    )
if EMAIL_BACKEND == "django.core.mail.backends.console.EmailBackend":  # noqa: F821
    # One line per email in the logs; full bodies (reset links) only when asked (core/mail.py).
    EMAIL_BACKEND = "core.mail.EmailBackend"
EMAIL_CONSOLE_BODIES = env.bool("EMAIL_CONSOLE_BODIES", default=False)
# [/harden-ops]
# A hung SMTP server must not hold the relay: the message is retried later.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="helpdesk@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Auth -----------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:home"
LOGOUT_REDIRECT_URL = "accounts:login"
# [harden-ops] Where a customer lands in a tenant (the tenant home redirects there).
CUSTOMER_HOME_URL = "tickets:portal"
STAFF_HOME_URL = "tickets:agent_queue"  # where agents and admins land in a tenant
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    # Not a rule: its password_changed hook revokes tokens and sockets (accounts/auth.py).
    {"NAME": "accounts.auth.RevokeCredentialsOnPasswordChange"},
]
PASSWORD_RESET_TIMEOUT = 3 * 24 * 3600  # invitations use the reset flow: give people 3 days
# [harden-ops] Password-reset emails per address per hour; beyond it none is sent, and the
# page says the same either way (an inbox cannot be flooded through our form).
PASSWORD_RESET_EMAILS_PER_HOUR = env.int("PASSWORD_RESET_EMAILS_PER_HOUR", default=3)

# Failed-login throttle (django-axes): per address and email together, stored in the database
# so it holds without Redis.
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["ip_address", "username"]]
AXES_USERNAME_FORM_FIELD = "username"  # what authenticate() is called with, login form and API
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "accounts.throttle.lockout_response"
AXES_VERBOSE = False

# --- Sessions and credentials (issue 15 hole 6, branch harden-auth) -------------------------
# A browser session ends after this long without a request, and in any case after
# SESSION_MAX_HOURS (the cookie's age); a password change ends the others (session hash).
SESSION_IDLE_MINUTES = env.int("SESSION_IDLE_MINUTES", default=30)
SESSION_COOKIE_AGE = env.int("SESSION_MAX_HOURS", default=12) * 3600

# --- Second factor (issue 15 hole 1, branch harden-auth; accounts/twofactor.py) ------------
# Superusers always need a TOTP device at /admin/; a tenant's admins and agents on its pages
# when the tenant requires it. The QR code is drawn on the server (segno), no third party.
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="Help desk")

# --- Login hardening (issue 15 hole 1, branch harden-auth) ----------------------------------
# Axes counts the email as the account (lowercased, stripped), takes the address from
# REMOTE_ADDR only (uvicorn rewrites it from X-Forwarded-For for FORWARDED_ALLOW_IPS alone),
# and locks an account after this many failures from any addresses within the cool-off.
AXES_USERNAME_CALLABLE = "accounts.throttle.login_username"
AXES_CLIENT_IP_CALLABLE = "accounts.throttle.client_address"
AXES_HANDLER = "accounts.throttle.AccountLimitHandler"
LOGIN_ACCOUNT_FAILURE_LIMIT = env.int("LOGIN_ACCOUNT_FAILURE_LIMIT", default=20)
# Per-address and per-person request rates (DRF's format), also used by the login and
# password-reset pages (core.api.throttling.page_rate_wait).
THROTTLE_RATES = {
    "auth": "20/minute",
    "login_page": "20/minute",
    "password_reset": "5/minute",
    "ws_ticket": "30/minute",
    "second_factor": "10/minute",  # per person: codes tried on /accounts/2fa/
    # Per member (hole 7): a person types far slower; a script is stopped with a 429.
    "ticket_create": env.str("TICKET_CREATE_RATE", default="30/minute") or None,
    "ticket_reply": env.str("TICKET_REPLY_RATE", default="60/minute") or None,
    # The chat widget's routes (chat/doors.py): every request per address; starting a chat or
    # leaving a message per address and per tenant.
    "chat_widget": env.str("CHAT_WIDGET_RATE", default="120/minute") or None,
    "chat_start": env.str("CHAT_START_RATE", default="10/minute") or None,
    "chat_tenant": env.str("CHAT_TENANT_RATE", default="300/minute") or None,
}
# Emails to one tenant's agents per minute (tickets.notify, core.outbox): the excess waits for
# the next minute, nothing is dropped. 0 turns the cap off.
AGENT_EMAILS_PER_MINUTE = env.int("AGENT_EMAILS_PER_MINUTE", default=60)

# --- API ------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "core.api.parsers.JSONParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "core.api.pagination.EnvelopePagination",
    "PAGE_SIZE": 25,
    "DEFAULT_SCHEMA_CLASS": "core.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "core.api.errors.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [],
    "DEFAULT_THROTTLE_RATES": THROTTLE_RATES,
    # Throttles key on REMOTE_ADDR, never on a raw X-Forwarded-For (see THROTTLE_RATES).
    "NUM_PROXIES": 0,
    "DATETIME_FORMAT": "%Y-%m-%dT%H:%M:%S.%fZ",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
REST_KNOX = {
    "AUTH_HEADER_PREFIX": "Token",
    "TOKEN_TTL": timedelta(days=30),
    "AUTO_REFRESH": False,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Help desk API",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # The chat's choice sets share field names with the tickets' (status, role): named apart.
    "ENUM_NAME_OVERRIDES": {
        "ChatStatusEnum": "chat.models.ChatStatus.choices",
        "ChatAuthorRoleEnum": "chat.serializers.AUTHOR_ROLES",
        "StatusEnum": "tickets.models.Status.choices",
        "RoleEnum": "tickets.models.AuthorRole.choices",
        # A plan's targets and channel targets name the ticket priorities and the channels
        # that may have a target of their own (CONTRACT section 8).
        "PriorityEnum": "sla.priorities.Priority.choices",
        "TargetChannelEnum": "sla.models.TargetChannel.choices",
        "ChannelEnum": "tickets.models.Channel.choices",
        "CreateChannelEnum": "tickets.serializers.CREATE_CHANNELS",
        # The widget's strings route names its language and the tenant's (issue 14).
        "LanguageEnum": "core.i18n.CODES",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.api.schema.add_error_responses",
    ],
}

# --- I18N, time -----------------------------------------------------------------------------
# The five languages of policy file 001 (issue 14). Catalogs live in locale/<code>/LC_MESSAGES
# as .po files; `make install` (and the Dockerfile) compile the .mo files, which are not kept
# in git. Whose language a page or an email speaks: core/i18n.py.
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", "English"),
    ("pt-br", "Português (Brasil)"),
    ("de", "Deutsch"),
    ("es", "Español"),
    ("ru", "Русский"),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
# A visitor's explicit choice (the login and contact pages' switcher, Django's set_language).
LANGUAGE_COOKIE_NAME = "helpdesk_language"
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LANGUAGE_COOKIE_SAMESITE = "Lax"
# Pages print times with the format names (SHORT_DATETIME_FORMAT...), which each language defines;
# English keeps the ISO-like day and 24-hour clock it always had (helpdesk/formats/en/).
FORMAT_MODULE_PATH = ["helpdesk.formats"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static and media -----------------------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Development serves straight from the finders; production collects into STATIC_ROOT.
STATIC_ROOT = env.str("STATIC_ROOT", default="" if DEBUG else str(BASE_DIR / "staticfiles")) or None
MEDIA_ROOT = env.str("MEDIA_ROOT", default=str(RUN_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG

# --- Product settings -----------------------------------------------------------------------
AUTOCLOSE_AFTER_HOURS = env.int("AUTOCLOSE_AFTER_HOURS", default=48)
REOPEN_WINDOW_DAYS = env.int("REOPEN_WINDOW_DAYS", default=7)
ATTACHMENT_MAX_BYTES = env.int("ATTACHMENT_MAX_BYTES", default=10 * 1024 * 1024)
ATTACHMENT_MAX_FILES = 10
MESSAGE_MAX_CHARS = 50_000

# --- Email channel (issue 13, CONTRACT section 9, tickets/mail/) -----------------------------
# Mailbox passwords are encrypted with this key (a Fernet key or any passphrase); unset, it is
# derived from SECRET_KEY (core/crypto.py).
FIELD_ENCRYPTION_KEY = env.str("FIELD_ENCRYPTION_KEY", default="")
# A larger inbound message is not ingested but quarantined (kept, shown to the tenant's admins).
EMAIL_INBOUND_MAX_BYTES = env.int("EMAIL_INBOUND_MAX_BYTES", default=25 * 1024 * 1024)
# Per sender and tenant, in the last hour: new tickets by email (the rest are quarantined), and
# acknowledgements (the rest get a ticket without one: an auto-responder loop ends here).
EMAIL_NEW_TICKETS_PER_HOUR = env.int("EMAIL_NEW_TICKETS_PER_HOUR", default=20)
EMAIL_ACKS_PER_HOUR = env.int("EMAIL_ACKS_PER_HOUR", default=5)
# Messages fetched from one mailbox per poll (the rest wait for the next minute).
EMAIL_POLL_BATCH = env.int("EMAIL_POLL_BATCH", default=500)
EMAIL_IMAP_TIMEOUT = env.int("EMAIL_IMAP_TIMEOUT", default=20)
# Every request body held in memory (JSON, form fields) stops here: Django refuses a larger
# declared or buffered body before reading it, and the API answers a JSON 413. Files stream to
# disk under their own limit (ATTACHMENT_MAX_BYTES, core/uploads.py).
# 2.5 MB (Django's default) holds a 50,000-character body even fully \u-escaped.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("REQUEST_BODY_MAX_BYTES", default=2_621_440)
FILE_UPLOAD_HANDLERS = [
    "core.uploads.LimitedUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

# --- Security -------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    # Subdomains and preload list only when the operator says so (issue 15 hole 8): both bind
    # every host under the domain to HTTPS for a year, and preload cannot be undone quickly.
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
    # check --deploy warns about both: they are deliberate choices here, not omissions.
    SILENCED_SYSTEM_CHECKS = [
        *([] if SECURE_HSTS_INCLUDE_SUBDOMAINS else ["security.W005"]),
        *([] if SECURE_HSTS_PRELOAD else ["security.W021"]),
    ]
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The report rollup's covering index (tickets.ReportCount) INCLUDEs columns for PostgreSQL's
    # index-only scans; SQLite (the development default) builds it without them, which is what
    # we want there, so its warning on every command says nothing a developer can act on.
    SILENCED_SYSTEM_CHECKS = [*globals().get("SILENCED_SYSTEM_CHECKS", []), "models.W040"]

# --- Content-Security-Policy (issue 15 hole 8, branch harden-auth; core/headers.py) ---------
# No inline script anywhere (pages, the Django admin, Swagger UI's split view); styles from
# files too. WebSockets to the same host are covered by 'self' in connect-src.
CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
# Per-path changes to the policy ({prefix: {directive: value}}). None today: the API docs'
# inline <style> is a file (templates/drf_spectacular/swagger_ui.html), and Swagger UI sets
# styles through the DOM (element.style), which style-src does not govern.
CONTENT_SECURITY_POLICY_BY_PATH: dict[str, dict[str, str]] = {}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Secrets a person pasted never reach a log line (core/redaction_reports.py).
    "formatters": {"masked": {"()": "core.redaction_reports.MaskingFormatter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "masked"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
# ...nor an error report (the debug page, admin error emails).
DEFAULT_EXCEPTION_REPORTER_FILTER = "core.redaction_reports.MaskingExceptionReporterFilter"
