"""Content negotiation for the JSON-only partner views.

DRF's default negotiation parses the Accept header into media types and ranks them on every
request, about a twentieth of a partner request's Python. For a view with one renderer, a request
that accepts anything or exactly that renderer's type gets that renderer and its type, which is
what DRF's ranking gives too; any other header or a format override goes through DRF's negotiation
(which answers 406 where it must).
"""

from rest_framework.negotiation import DefaultContentNegotiation


class SingleRendererNegotiation(DefaultContentNegotiation):
    def select_renderer(self, request, renderers, format_suffix=None):
        if len(renderers) == 1 and format_suffix is None:
            renderer = renderers[0]
            accept = request.META.get("HTTP_ACCEPT", "*/*")
            if accept in ("*/*", renderer.media_type) and (
                self.settings.URL_FORMAT_OVERRIDE not in request.query_params
            ):
                return renderer, renderer.media_type
        return super().select_renderer(request, renderers, format_suffix)
