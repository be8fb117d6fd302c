"""The one family of errors a user can cause (STYLE 5).

Each carries a message fit to show. The portal puts it beside ``field``, the admin shows it as a
message, and the API maps it once to an HTTP status.
"""


class DomainError(Exception):
    """An error the user can cause; message fit to show."""

    def __init__(self, message, *, field=None, code="invalid"):
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code


class RuleInputError(DomainError):
    """Input that the warranty rules cannot judge (future dates, defect before delivery)."""


class ValidationFailed(DomainError):
    """Several field errors at once: ``errors`` maps a field (or "items.0.serial_number") to
    its messages. Nothing was saved."""

    def __init__(self, errors: dict[str, list[str]], message: str | None = None):
        first = next(iter(errors.values()), ["Invalid input."])[0]
        super().__init__(message or first, field=None, code="invalid")
        self.errors = errors


class Forbidden(DomainError):
    """The wrong role for this act (a buyer doing staff work, another organisation)."""

    def __init__(self, message="You may not do this.", *, field=None):
        super().__init__(message, field=field, code="forbidden")


class InvalidState(DomainError):
    """The act does not fit the claim's current status."""

    def __init__(self, message, *, field=None):
        super().__init__(message, field=field, code="invalid_state")


class NotFound(DomainError):
    """Unknown, or not the caller's: the two are never told apart."""

    def __init__(self, message="Not found.", *, field=None):
        super().__init__(message, field=field, code="not_found")
