"""System checks of the claims app (``manage.py check --deploy``)."""

import os

from django.core import checks


@checks.register(checks.Tags.security, deploy=True)
def event_log_key_is_set(app_configs, **kwargs):
    """Issue 12: the event log's HMAC key must be a secret of the deployment, not the key
    embedded in the repository, or anyone could recompute the chain."""
    if os.environ.get("RMA_EVENT_LOG_KEYS"):
        return []
    return [
        checks.Warning(
            "RMA_EVENT_LOG_KEYS is not set: the event log is signed with the embedded "
            "development key, so a rewritten log could be re-signed by anyone.",
            hint='Set RMA_EVENT_LOG_KEYS="1:<a long random secret>" (keep old versions when '
            "adding one).",
            id="claims.W001",
        )
    ]
