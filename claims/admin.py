from . import admin_documents  # noqa: F401
