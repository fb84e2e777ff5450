"""Method override: HTML forms sending PUT, PATCH and DELETE, opt-in.

    >>> from webkit import Dispatcher, MethodOverride
    >>> routes = Dispatcher()
    >>> _ = routes.connect('page', '/page', lambda req: req.method, methods=('DELETE',))
    >>> from webtest import TestApp
    >>> TestApp(MethodOverride(routes)).post('/page', {'_method': 'DELETE'}).text
    'DELETE'
"""
from typing import Any
from wsgiref.types import WSGIApplication

from webob import exc

from . import _wsgi
from .request import FORM_TYPES, Request

__all__ = ['MethodOverride']

#: ``environ`` key holding the method the client sent (``'POST'``) once overridden.
ORIGINAL_METHOD = 'webkit.original_method'
#: The methods a form may ask for.
METHODS = ('PUT', 'PATCH', 'DELETE')


class MethodOverride(_wsgi.Layer):
    """Middleware turning a form POST with a ``_method`` field into PUT, PATCH or DELETE.

    - only a POST, only a form body (urlencoded or multipart): the query
      string and other bodies are never read, so a link or an image
      cannot change the method, nor can a JSON field;
    - only ``PUT``, ``PATCH`` or ``DELETE`` (in any case); anything else,
      or the field given twice, is a 400: a form asking for what will
      not happen is a mistake to show, not to ignore;
    - the request stays unsafe, so :class:`~webkit.CSRFProtection`
      checks it, inside or outside this layer; routing then sees the new
      method, and a path without it answers 405 with its real ``Allow``;
    - ``environ['webkit.original_method']`` keeps ``'POST'``.

    The body is read here, before routing, with the body limit of the
    application inside (found by ``webkit._wsgi.probe``).
    """

    def __init__(self, app: WSGIApplication, *, field: str = '_method') -> None:
        self.app = app
        self.field = field
        self.max_body_size = _wsgi.probe(app).max_body_size

    def __repr__(self) -> str:
        return f'MethodOverride({self.app!r})'

    def respond(self, req: Request) -> Any:
        if req.method == 'POST' and req.media_type in FORM_TYPES:
            if self.max_body_size is not None:
                req.max_body_size = self.max_body_size
            asked = req.POST.getall(self.field)
            if asked:
                # Given once, as text (a file part is no method).
                method = asked[0].upper() if len(asked) == 1 and isinstance(asked[0], str) else None
                if method not in METHODS:
                    raise exc.HTTPBadRequest(f'{self.field} may be PUT, PATCH or DELETE, '
                                             'given once')
                req.environ[ORIGINAL_METHOD] = 'POST'
                req.method = method
        return req.get_response(self.app)
