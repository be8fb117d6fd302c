"""The benches' scratch database: Django set up on its own database of the DATABASE_URL server."""

import os
import sys
from urllib.parse import urlsplit, urlunsplit


def scratch_database_url(database: str) -> str:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit("Set DATABASE_URL to a PostgreSQL server, e.g. postgres://postgres@127.0.0.1/x")
    parts = urlsplit(url)
    server = urlunsplit(parts._replace(path="/postgres"))
    import psycopg

    with psycopg.connect(server, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database]).fetchone():
            conn.execute(f'CREATE DATABASE "{database}"')
            print(f"Created database {database}")
    return urlunsplit(parts._replace(path=f"/{database}"))


def setup_django(database: str) -> None:
    """Create the scratch database if missing, set Django up on it and migrate it."""
    os.environ["DATABASE_URL"] = scratch_database_url(database)
    os.environ.setdefault("DJANGO_DEBUG", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rma_portal.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
