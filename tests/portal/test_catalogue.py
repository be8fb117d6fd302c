"""The Korean catalogue is complete and compiled: every message of locale/ko/LC_MESSAGES/django.po
is translated, none is fuzzy, and the committed .mo carries each of them (so the tests and
deployments need no gettext tools)."""

import ast
import gettext
from pathlib import Path

LC_MESSAGES = Path(__file__).resolve().parents[2] / "locale" / "ko" / "LC_MESSAGES"


def po_entries(path: Path) -> list[dict]:
    """A small .po reader: msgid, msgid_plural, msgstr / msgstr[n], flags."""
    entries, current, key = [], None, None
    for raw in path.read_text(encoding="utf-8").splitlines() + [""]:
        line = raw.strip()
        if not line:
            if current is not None:
                entries.append(current)
            current, key = None, None
            continue
        if current is None:
            current = {"flags": "", "msgstr": {}}
        if line.startswith("#,"):
            current["flags"] += line
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            text = ast.literal_eval(line)
            if isinstance(key, tuple):
                current["msgstr"][key[1]] += text
            else:
                current[key] += text
        else:
            name, _space, value = line.partition(" ")
            text = ast.literal_eval(value)
            if name.startswith("msgstr["):
                key = ("msgstr", int(name[7:-1]))
                current["msgstr"][key[1]] = text
            elif name == "msgstr":
                key = ("msgstr", 0)
                current["msgstr"][0] = text
            else:
                key = name
                current[name] = text
    return [e for e in entries if e.get("msgid")]


def test_every_message_is_translated_and_compiled():
    entries = po_entries(LC_MESSAGES / "django.po")
    assert len(entries) > 500
    with (LC_MESSAGES / "django.mo").open("rb") as mo:
        catalog = gettext.GNUTranslations(mo)
    for entry in entries:
        assert "fuzzy" not in entry["flags"], entry["msgid"]
        assert all(entry["msgstr"].values()), f"untranslated: {entry['msgid']!r}"
        if "msgid_plural" in entry:
            assert (
                catalog.ngettext(entry["msgid"], entry["msgid_plural"], 1) == (entry["msgstr"][0])
            ), f"not compiled: {entry['msgid']!r}"
        else:
            assert catalog.gettext(entry["msgid"]) == entry["msgstr"][0], (
                f"not compiled: {entry['msgid']!r}"
            )
