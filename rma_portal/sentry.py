"""Optional error reporting through sentry-sdk, initialised only when SENTRY_DSN is set."""

from collections.abc import Mapping


def init_sentry(dsn: str, env: Mapping[str, str]) -> None:
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        environment=env.get("SENTRY_ENVIRONMENT", "production"),
        release=env.get("SENTRY_RELEASE") or None,
        traces_sample_rate=float(env.get("SENTRY_TRACES_SAMPLE_RATE", "0")),
        send_default_pii=False,  # buyers' names and e-mail addresses stay here
    )
