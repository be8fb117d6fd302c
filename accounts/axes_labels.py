"""django-axes ships no Korean catalogue: its admin labels are listed here so that makemessages
puts them in ours (locale/ko) and the sign-in audit reads in Korean like the rest of the admin.
Never imported; the strings must match django-axes' own msgids exactly.
"""

from django.utils.translation import gettext_noop as _

AXES_ADMIN_LABELS = [
    _("Access Attempt"),
    _("Access lock out"),
    _("Attempt Time"),
    _("Expires At"),
    _("Failed Logins"),
    _("Form Data"),
    _("GET Data"),
    _("HTTP Accept"),
    _("IP Address"),
    _("Locked Out"),
    _("Logout Time"),
    _("Meta Data"),
    _("Not set"),
    _("POST Data"),
    _("Path"),
    _("Session key hash (sha256)"),
    _("The time when access attempt expires and is no longer valid."),
    _("User Agent"),
    _("Username"),
    _("access attempt"),
    _("access attempts"),
    _("access attempt expiration"),
    _("access attempt expirations"),
    _("access failure"),
    _("access failures"),
    _("access log"),
    _("access logs"),
]
