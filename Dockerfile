FROM python:3.12-slim-bookworm
# WeasyPrint needs Pango; the Korean font renders ko documents (fonts-nanum).
RUN apt-get update && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b fonts-nanum fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY requirements.lock .
RUN pip install --no-cache-dir -r requirements.lock
COPY . .
ENV DJANGO_STATIC_ROOT=/app/staticfiles
RUN DJANGO_SECRET_KEY=build-only python manage.py collectstatic --noinput
RUN useradd --create-home rma && mkdir -p /data/media && chown -R rma /data
USER rma
EXPOSE 8000
