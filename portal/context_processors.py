from django.utils.functional import SimpleLazyObject


def support_contact(request):
    """S1: CPRO Customer Support as staff last edited it, for the footer of every page.

    Lazy, so a page that does not show the footer (htmx partials) costs no query.
    """
    from claims.models import SupportContact

    return {"support_contact": SimpleLazyObject(SupportContact.current)}
