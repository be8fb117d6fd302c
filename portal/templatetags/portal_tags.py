from django import template

register = template.Library()


@register.filter
def reason_text(reason, language: str) -> str:
    """A verdict reason (``warranty.rules.Reason``) in the page's language."""
    return reason.text(language or "en")


@register.filter
def stored_verdict(item, language: str) -> dict:
    """The verdict a claim item stored (both languages), in the page's language."""
    verdict = item.verdict or {}
    lang = "ko" if (language or "").startswith("ko") else "en"
    return verdict.get(lang) or verdict.get("en") or {}


@register.filter
def reason_name(defect_reason, language: str) -> str:
    """A structured defect reason (``claims.models.DefectReason``) in the page's language."""
    return defect_reason.name(language or "en") if defect_reason else ""
