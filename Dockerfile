# The one image behind every service in docker-compose.yml (web, worker, beat, warehouse).
FROM python:3.11-slim

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
    && mkdir -p var/warehouse var/broker \
    && chown -R app:app var

USER app
# The web server, as `make run` starts it (project/gunicorn.conf.py), on every interface.
ENV GUNICORN_BIND=0.0.0.0:8000
EXPOSE 8000
CMD ["gunicorn", "project.wsgi", "-c", "project/gunicorn.conf.py"]
