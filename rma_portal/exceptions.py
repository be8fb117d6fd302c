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
