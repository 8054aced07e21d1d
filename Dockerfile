# Production image: `docker compose up` (docker-compose.yml) runs web, worker and beat from it.
FROM python:3.11-slim

ENV DJANGO_SETTINGS_MODULE=helpdesk.settings
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    STATIC_ROOT=/app/staticfiles \
    MEDIA_ROOT=/data/media \
    HELPDESK_RUN_DIR=/tmp/helpdesk
# uvicorn's worker processes (README, Benchmarks: 4 on 2 cores overlap the database waits).
ENV WEB_CONCURRENCY=4

RUN useradd --create-home --uid 10001 --shell /usr/sbin/nologin helpdesk

WORKDIR /app

# Dependencies first, so that a code change does not reinstall them: the runtime lock (no dev
# extras), every file checked against its hash, then the project itself without dependencies
# (`make lock` refreshes the lock; README, "Dependencies").
COPY pyproject.toml ./
COPY requirements/lock.txt requirements/lock.txt
RUN pip install --require-hashes -r requirements/lock.txt \
 && pip install --no-deps .

COPY . .

# The translations (issue 14): the .po catalogs are in git, their compiled .mo are not. Debian's
# gettext compiles them here and leaves the image again in the same layer.
RUN apt-get update -qq \
 && apt-get install -y -qq --no-install-recommends gettext >/dev/null \
 && for po in locale/*/LC_MESSAGES/*.po; do msgfmt --check-format -o "${po%.po}.mo" "$po" || exit 1; done \
 && apt-get purge -y -qq --auto-remove gettext >/dev/null \
 && rm -rf /var/lib/apt/lists/*

# Static files are collected into the image. The secret here only lets settings load for this
# one build command: it is not an ENV, so it is not in the image's runtime environment, and the
# containers refuse to start without their own SECRET_KEY.
RUN SECRET_KEY=build-time-only-collectstatic-key-never-used-at-run-time-0123456789 \
    ALLOWED_HOSTS=build.invalid EMAIL_URL=smtp://build.invalid \
    python manage.py collectstatic --noinput \
 && mkdir -p /data/media \
 && chown helpdesk:helpdesk /data/media

# The code stays root-owned and read-only to the process; only media is writable.
USER helpdesk

EXPOSE 8000
CMD ["uvicorn", "helpdesk.asgi:application", "--host", "0.0.0.0", "--port", "8000", \
     "--proxy-headers", "--lifespan", "on"]
