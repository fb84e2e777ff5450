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
from __future__ import annotations

from collections.abc import Iterable
from html import escape

from webob import exc

TYPE_CHECKING = False
if TYPE_CHECKING:  # for the type checker: importing typing costs a process half a MiB
    from typing import Any

__all__ = [
    'WebkitError',
    'ConfigurationError',
    'URLGenerationError',
    'HTTPRouteNotFound',
    'HTTPMethodNotAllowed',
    'UnsafeHeaderError',
    'MissingLayerError',
    'LoadError',
    'TemplateError',
    'ServerError',
]


class WebkitError(Exception):
    """Base class of every error webkit raises itself."""


class ConfigurationError(WebkitError, ValueError):
    """An application was set up wrongly; raised at set-up, not per request.

    ``what`` names the thing configured (a route, a target, a setting)
    and ``problem`` says what is wrong with it.
    """

    def __init__(self, what: str, problem: str) -> None:
        super().__init__(what, problem)
        self.what = what
        self.problem = problem

    def __str__(self) -> str:
        return f'{self.what}: {self.problem}'


class URLGenerationError(WebkitError, LookupError):
    """A URL could not be generated.

    Attributes: ``name`` (the route name asked for), ``params`` (the
    arguments given) and ``reason`` (what was missing or wrong).
    """

    def __init__(self, name: str, params: dict[str, Any], reason: str) -> None:
        super().__init__(name, params, reason)
        self.name = name
        self.params = params
        self.reason = reason

    def __str__(self) -> str:
        return (f'cannot build a URL for route {self.name!r} '
                f'from {self.params!r}: {self.reason}')


def _page(code: int, title: str, message: str) -> str:
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

    def __init__(self, path: str, method: str, **kw: Any) -> None:
        super().__init__(**kw)
        self.path = path
        self.method = method
        self.content_type = 'text/html'
        self.body = self._body

    def __repr__(self) -> str:
        return f'HTTPRouteNotFound({self.path!r}, {self.method!r})'


class HTTPMethodNotAllowed(exc.HTTPMethodNotAllowed):
    """405: the path exists, but not for ``method``; ``allowed`` are the
    methods that work, sent in the ``Allow`` header."""

    def __init__(self, path: str, method: str, allowed: Iterable[str], **kw: Any) -> None:
        super().__init__(**kw)
        self.path = path
        self.method = method
        self.allowed = tuple(allowed)
        self.allow = self.allowed
        self.content_type = 'text/html'
        self.body = _page(405, 'Method Not Allowed',
                          'Allowed: ' + escape(', '.join(self.allowed))).encode()

    def __repr__(self) -> str:
        return (f'HTTPMethodNotAllowed({self.path!r}, {self.method!r}, '
                f'{self.allowed!r})')


class UnsafeHeaderError(WebkitError, ValueError):
    """A response header ``name`` (or the status line) holds CR, LF, NUL or a
    character Latin-1 cannot write in ``value``."""

    def __init__(self, name: str, value: str) -> None:
        super().__init__(name, value)
        self.name = name
        self.value = value

    def __str__(self) -> str:
        return (f'response header {self.name!r} has a CR, LF, NUL or a character beyond '
                f'Latin-1: {self.value!r}')


class MissingLayerError(WebkitError, LookupError):
    """``function`` was called on a request that did not pass through ``layer``."""

    def __init__(self, function: str, layer: str) -> None:
        super().__init__(function, layer)
        self.function = function
        self.layer = layer

    def __str__(self) -> str:
        return (f'{self.function}(req) needs the application wrapped in '
                f'webkit.{self.layer}(app, secret); this request did not pass through one')


class LoadError(WebkitError, ValueError):
    """``spec`` (``'package.module:name'``) could not be loaded; ``reason`` says why."""

    def __init__(self, spec: str, reason: str) -> None:
        super().__init__(spec, reason)
        self.spec = spec
        self.reason = reason

    def __str__(self) -> str:
        return f'cannot load {self.spec!r}: {self.reason}'


class TemplateError(WebkitError):
    """A template could not be read, compiled or rendered.

    Attributes: ``name`` (the template), ``line`` and ``column`` (where,
    when known) and ``message`` (what went wrong).
    """

    def __init__(self, name: str, line: int | None, column: int | None, message: str) -> None:
        super().__init__(name, line, column, message)
        self.name = name
        self.line = line
        self.column = column
        self.message = message

    def __str__(self) -> str:
        where = f', line {self.line}, column {self.column}' if self.line else ''
        return f'{self.name}{where}: {self.message}'


class ServerError(WebkitError, OSError):
    """The server could not listen on ``host``:``port``; ``reason`` says why."""

    def __init__(self, host: str, port: int | str, reason: str) -> None:
        super().__init__(host, port, reason)
        self.host = host
        self.port = port
        self.reason = reason

    def __str__(self) -> str:
        return f'cannot listen on {self.host}:{self.port}: {self.reason}'
