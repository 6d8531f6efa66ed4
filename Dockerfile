# Rapport API. Runs what the README's serve command runs: an editable install into .venv,
# then `rapport serve` (migrate, load the built-in content, serve with uvicorn).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    ENVIRONMENT=production \
    HOST=0.0.0.0 \
    PORT=8000 \
    WORKERS=2 \
    DATA_DIR=/srv/rapport/data

RUN apt-get update \
    && apt-get install -y --no-install-recommends tzdata \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --create-home --home-dir /home/rapport --uid 10001 rapport

WORKDIR /srv/rapport
COPY pyproject.toml README.md alembic.ini ./
COPY app ./app
COPY alembic ./alembic
COPY content ./content
COPY openapi ./openapi
RUN python3 -m venv .venv \
    && .venv/bin/pip install -e . \
    && mkdir -p "$DATA_DIR" \
    && chown -R rapport:rapport "$DATA_DIR"

USER rapport
EXPOSE 8000
# In production SECRET_KEY, TOKEN_SECRET and ENCRYPTION_KEY must be given (the server
# refuses to start without them), and DATABASE_URL should name PostgreSQL.
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python3", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '8000'), timeout=2)"]
CMD [".venv/bin/rapport", "serve"]
