FROM python:3.12-slim-bookworm
# The runtime Debian packages of system-packages.txt (Pango for WeasyPrint, the Korean font for ko
# documents): the same list ./dev up checks.
COPY system-packages.txt /tmp/
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        $(awk '$1 == "runtime" { print $2 }' /tmp/system-packages.txt) \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# Runtime dependencies only: no test tools in the image (requirements-dev.lock is for ./dev).
COPY requirements.lock .
RUN pip install --no-cache-dir -r requirements.lock
COPY . .
ENV DJANGO_STATIC_ROOT=/app/staticfiles
RUN DJANGO_SECRET_KEY=build-only python manage.py collectstatic --noinput
RUN useradd --create-home rma && mkdir -p /data/media /data/beat && chown -R rma /data
USER rma
EXPOSE 8000
