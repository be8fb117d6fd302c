"""The service layer's public surface: every write on a claim, by topic module.

Each act lives in the module of its topic (Zulip's one module per topic of writes) and runs
through ``workflow.act``, which locks the claim, checks status and role against
``workflow.RULES`` and appends the event in one transaction; the act names its side effects
(e-mails, webhooks, documents) in its own body. The portal, the admin, the API, the commands and
the tasks call these functions and nothing else (docs/architecture.md).
"""

from .assignment import assign
from .attachments import add_attachment, check_evidence, sanitise_filename
from .document_service import reissue_document, request_document, void_document
from .drafts import create_draft, update_draft
from .holds import end_hold
from .inspection import inspect
from .messages import add_internal_note, answer_info, post_buyer_message, post_message, request_info
from .returns import (
    authorize_return,
    receive,
    record_shipment,
    refuse,
    refuse_unauthorized_arrival,
)
from .review import cancel, grant_notice_exception, reject
from .settlement import (
    close,
    issue_credit_note,
    issue_debit_note,
    set_charge,
    ship_outbound,
    waive_charge,
)
from .submission import submit

__all__ = [
    "add_attachment",
    "check_evidence",
    "assign",
    "add_internal_note",
    "answer_info",
    "authorize_return",
    "cancel",
    "close",
    "create_draft",
    "end_hold",
    "grant_notice_exception",
    "inspect",
    "issue_credit_note",
    "issue_debit_note",
    "post_buyer_message",
    "post_message",
    "receive",
    "record_shipment",
    "refuse",
    "refuse_unauthorized_arrival",
    "reissue_document",
    "reject",
    "request_document",
    "request_info",
    "sanitise_filename",
    "set_charge",
    "ship_outbound",
    "submit",
    "update_draft",
    "void_document",
    "waive_charge",
]
