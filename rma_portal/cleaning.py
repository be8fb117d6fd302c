"""Single-line text: references, carriers, tracking numbers, codes, names.

Such a value ends up in e-mail subjects, document headers, CSV exports and log lines, where a
line break or other control character lets a client forge content (a second subject line, a
"Bcc:" at the top of a body). ``single_line`` turns every run of control characters (C0, C1,
DEL, the Unicode line and paragraph separators) into one space and drops the bidirectional
overrides that make text read differently from what it is; then trims.

``SingleLineCharField`` applies it on every save and every query parameter, so every channel
(portal, API, admin, imports, commands) is covered without each service remembering to.
"""

import re
import unicodedata

from django.db import models

_CONTROL_RUN = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
_BIDI = re.compile(r"[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")


def single_line(value):
    """``value`` on one line, without control characters; non-strings pass through."""
    if not isinstance(value, str):
        return value
    value = _BIDI.sub("", unicodedata.normalize("NFC", value))
    return _CONTROL_RUN.sub(" ", value).strip()


class SingleLineCharField(models.CharField):
    """A CharField whose value is always ``single_line`` (in the instance once saved, and in
    the database).

    Deconstructs as a plain CharField: the column is the same, so no migration is needed to
    adopt it and none is generated when a field switches to it.
    """

    def pre_save(self, model_instance, add):
        value = single_line(super().pre_save(model_instance, add))
        setattr(model_instance, self.attname, value)
        return value

    def to_python(self, value):
        return single_line(super().to_python(value))

    def get_prep_value(self, value):
        return single_line(super().get_prep_value(value))

    def deconstruct(self):
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.CharField", args, kwargs
