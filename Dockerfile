# Yishi's one image, used by the web, worker and beat services of docker-compose.yml.
# Dependencies come from uv.lock (uv itself from PyPI), so the image runs exactly
# what the tests ran.

FROM python:3.12-slim-bookworm AS build
ENV PYTHONDONTWRITEBYTECODE=1 \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/opt/venv
RUN apt-get update \
 && apt-get install -y --no-install-recommends gettext \
 && rm -rf /var/lib/apt/lists/* \
 && pip install --no-cache-dir "uv>=0.9,<1"
WORKDIR /app
# Dependencies first: this layer is rebuilt only when the lock file changes.
COPY pyproject.toml uv.lock .python-version ./
RUN uv sync --frozen --no-dev --no-install-project
COPY . .
ENV PATH="/opt/venv/bin:$PATH"
# Static files are collected with the production storage (hashed names for
# whitenoise). The key below exists only for this build step; it is not kept.
RUN DEBUG=0 ALLOWED_HOSTS=build YISHI_VAR_DIR=/tmp/yishi-build \
    SECRET_KEY=build-only-collectstatic-key-not-used-at-runtime-0123456789abcdef \
    YISHI_CHECKPOINT_KEY=build-only-checkpoint-key-not-used-at-runtime-0123 \
    python manage.py collectstatic --noinput \
 && if [ -d locale ]; then python manage.py compilemessages; fi \
 && mkdir -p var/media  # the photos volume's mount point, owned by the app's user below

FROM python:3.12-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH="/opt/venv/bin:$PATH" \
    DEBUG=0 \
    PORT=8000
RUN useradd --system --uid 10001 --create-home --home-dir /home/yishi yishi
WORKDIR /app
COPY --from=build /opt/venv /opt/venv
COPY --from=build --chown=yishi:yishi /app /app
USER yishi
EXPOSE 8000
CMD ["gunicorn", "--config", "gunicorn.conf.py"]
