from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse


class DefaultLanguageMiddleware:
    """Keep the deployment's language (LANGUAGE_CODE) until the user picks another with the switch.

    Django's LocaleMiddleware would otherwise follow the browser's Accept-Language. A court's shared
    window PCs often run English-language browsers, so the browser is followed only where a deployment
    opts in with LANGUAGE_FROM_BROWSER=true.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not settings.LANGUAGE_FROM_BROWSER and settings.LANGUAGE_COOKIE_NAME not in request.COOKIES:
            request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return self.get_response(request)
