"""The buyer's language: their own choice, else their organisation's (SPEC "Domain")."""

from django.conf import settings
from django.utils import translation


class PreferredLanguageMiddleware:
    """Activate a signed-in user's preferred language unless the language cookie chose one.

    Django's LocaleMiddleware runs first and reads the cookie or the browser's Accept-Language;
    a signed-in user without the cookie gets ``User.preferred_language`` instead (their own
    setting, or their organisation's). Switching the language (portal.account_views) sets both.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and settings.LANGUAGE_COOKIE_NAME not in request.COOKIES
        ):
            language = user.preferred_language
            translation.activate(language)
            request.LANGUAGE_CODE = translation.get_language()
        return self.get_response(request)
