"""webkit's own errors, and the HTTP errors the dispatcher creates.

Every exception keeps its data as arguments and attributes and builds
its message in ``__str__``, so ``repr()`` shows what was wrong, tests can
assert on attributes, and pickling works::

    >>> err = URLGenerationError('page', {'title': 'a/b'}, 'title may not contain "/"')
    >>> err
    URLGenerationError('page', {'title': 'a/b'}, 'title may not contain "/"')
    >>> err.name, err.params
    ('page', {'title': 'a/b'})
    >>> print(err)
    cannot build a URL for route 'page' from {'title': 'a/b'}: title may not contain "/"

HTTP responses stay in :mod:`webob.exc`; the two defined here are
subclasses that carry what the dispatcher knew and render cheaply.
"""
from html import escape

from webob import exc

__all__ = [
    'WebkitError',
    'ConfigurationError',
    'URLGenerationError',
    'HTTPRouteNotFound',
    'HTTPMethodNotAllowed',
]


class WebkitError(Exception):
    """Base class of every error webkit raises itself."""


class ConfigurationError(WebkitError, ValueError):
    """An application was set up wrongly; raised at set-up, not per request.

    ``what`` names the thing configured (a route, a target, a setting)
    and ``problem`` says what is wrong with it.
    """

    def __init__(self, what, problem):
        super().__init__(what, problem)
        self.what = what
        self.problem = problem

    def __str__(self):
        return f'{self.what}: {self.problem}'


class URLGenerationError(WebkitError, LookupError):
    """A URL could not be generated.

    Attributes: ``name`` (the route name asked for), ``params`` (the
    arguments given) and ``reason`` (what was missing or wrong).
    """

    def __init__(self, name, params, reason):
        super().__init__(name, params, reason)
        self.name = name
        self.params = params
        self.reason = reason

    def __str__(self):
        return (f'cannot build a URL for route {self.name!r} '
                f'from {self.params!r}: {self.reason}')


def _page(code, title, message):
    # A pre-rendered page: webob.exc only re-renders (about 40 microseconds)
    # when the exception has no body of its own.
    return (f'<!DOCTYPE html>\n<html><head><title>{code} {title}</title></head>'
            f'<body><h1>{code} {title}</h1><p>{message}</p></body></html>\n')


class HTTPRouteNotFound(exc.HTTPNotFound):
    """404: no route matches ``path`` (for any method).

    ``path`` and ``method`` are kept as attributes; the page itself does
    not repeat the path, so nothing from the request is echoed.
    """

    _body = _page(404, 'Not Found', 'The resource could not be found.').encode()

    def __init__(self, path, method, **kw):
        super().__init__(**kw)
        self.path = path
        self.method = method
        self.content_type = 'text/html'
        self.body = self._body

    def __repr__(self):
        return f'HTTPRouteNotFound({self.path!r}, {self.method!r})'


class HTTPMethodNotAllowed(exc.HTTPMethodNotAllowed):
    """405: the path exists, but not for ``method``; ``allowed`` are the
    methods that work, sent in the ``Allow`` header."""

    def __init__(self, path, method, allowed, **kw):
        super().__init__(**kw)
        self.path = path
        self.method = method
        self.allowed = tuple(allowed)
        self.allow = self.allowed
        self.content_type = 'text/html'
        self.body = _page(405, 'Method Not Allowed',
                          'Allowed: ' + escape(', '.join(self.allowed))).encode()

    def __repr__(self):
        return (f'HTTPMethodNotAllowed({self.path!r}, {self.method!r}, '
                f'{self.allowed!r})')
