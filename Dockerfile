# Two images from one file (docker-compose.yml builds both):
#   production (the default target): web, worker, periodic and beat; requirements/base.txt only,
#     no DuckDB or sqlglot;
#   local-warehouse: the same plus requirements/local-warehouse.txt, for `manage.py runwarehouse`.
FROM python:3.11-slim AS base

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Dependencies first: this layer is rebuilt only when requirements change.
COPY requirements/ requirements/
RUN pip install -r requirements/base.txt

COPY . .

# Static files (admin, Swagger UI, Redoc) are collected into the image; WhiteNoise serves them.
# The throwaway key exists only for this build step.
RUN DJANGO_DEBUG=false DJANGO_SECRET_KEY=collectstatic-only-throwaway-key-never-used-to-sign-anything python manage.py collectstatic --noinput \
    && useradd --create-home --uid 1000 app \
    && mkdir -p var/warehouse var/broker var/local-warehouse-token var/ingest \
    && chown -R app:app var

USER app
# The web server, as `make run` starts it (project/gunicorn.conf.py), on every interface.
ENV GUNICORN_BIND=0.0.0.0:8000
EXPOSE 8000


FROM base AS local-warehouse
USER root
RUN pip install -r requirements/local-warehouse.txt
USER app
# Listens on the port of LOCAL_WAREHOUSE_URL (default 8765); --host: every interface.
EXPOSE 8765
CMD ["python", "manage.py", "runwarehouse", "--host=0.0.0.0", "--data-dir", "var/warehouse"]


# Last, so that a plain `docker build .` makes it.
FROM base AS production
CMD ["gunicorn", "project.wsgi", "-c", "project/gunicorn.conf.py"]
