"""Mounting: any WSGI application under a route prefix.

``routes.mount(name, prefix, app)`` connects a route that takes the
prefix and everything under it, for every method, and passes the
request on with ``SCRIPT_NAME`` and ``PATH_INFO`` shifted as WebOb's
``path_info_pop`` does: the mounted application sees its own paths and,
if it is a webkit application, generates its links under the prefix::

    >>> from webkit import Dispatcher
    >>> def where(environ, start_response):
    ...     start_response('200 OK', [('Content-Type', 'text/plain')])
    ...     return [f"{environ['SCRIPT_NAME']} {environ['PATH_INFO']}".encode()]
    >>> routes = Dispatcher()
    >>> _ = routes.mount('legacy', '/legacy', where)
    >>> from webtest import TestApp
    >>> TestApp(routes).get('/legacy/a/b').text
    '/legacy /a/b'
    >>> routes.url('legacy', path_info='/a/b')
    '/legacy/a/b'
"""
from __future__ import annotations

import re
from collections.abc import Iterable

from . import _wsgi
from .exc import ConfigurationError
from .request import Request

TYPE_CHECKING = False
if TYPE_CHECKING:  # for the type checker: importing typing costs a process half a MiB
    from typing import Any
    from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

__all__ = ['mount', 'Mount']

# "/name" or "/a/b": no empty segment, no trailing "/", no route variable.
_PREFIX = re.compile(r'(?:/[^/{}]+)+').fullmatch
_ADHOC = 'webob.adhoc_attrs'
#: What a mount's route path adds to its prefix: the rest of the path, if any.
REST = '{path_info:(?:/.*)?}'


def mount(routes: Any, name: str, prefix: str, app: WSGIApplication) -> Any:
    """Connect route ``name`` sending every request under ``prefix`` to ``app``.

    The route's variable ``path_info`` is the rest of the path (``''``
    for the prefix itself, else starting with ``/``); its methods are
    all of them (``'*'``): ``app`` answers its own 404s and 405s. The
    checks outer layers owe the request (CSRF) run before ``app`` is
    called, as before any handler.
    """
    where = f'route {name!r}'
    if not isinstance(prefix, str) or not _PREFIX(prefix):
        raise ConfigurationError(where, 'a mount prefix is a path such as "/blog" or '
                                 f'"/a/b", without a trailing "/" (you gave {prefix!r})')
    if not callable(app):
        raise ConfigurationError(where, f'{app!r:.60} is not a WSGI application')
    return routes.connect(name, prefix + REST, view=Mount(app),
                          methods='*', path_info='')


class Mount:
    """A route target passing the request on to ``app`` with the prefix moved
    from ``PATH_INFO`` to ``SCRIPT_NAME``."""

    __slots__ = ('app',)

    def __init__(self, app: WSGIApplication) -> None:
        self.app = app

    def __repr__(self) -> str:
        return f'Mount({self.app!r})'

    def __call__(self, req: Request, path_info: str) -> '_Shifted':
        environ = dict(req.environ)  # the outer request keeps its own paths
        environ.pop(_wsgi.CHECKS, None)  # run by the dispatcher before this target
        if _ADHOC in environ:
            environ[_ADHOC] = dict(environ[_ADHOC])
        raw = environ.get('PATH_INFO', '')
        # path_info is the decoded end of PATH_INFO (WSGI's latin-1 of the bytes).
        rest = path_info.encode('utf-8').decode('latin-1')
        # A SCRIPT_NAME ending in "/" would make "//prefix", which the mounted
        # application's links would turn into the URL of another host.
        environ['SCRIPT_NAME'] = (environ.get('SCRIPT_NAME', '').rstrip('/')
                                  + raw[:len(raw) - len(rest)])
        environ['PATH_INFO'] = rest
        return _Shifted(self.app, environ)


class _Shifted:
    """``app`` called with the shifted environ, whatever environ it is given."""

    __slots__ = ('app', 'environ')

    def __init__(self, app: WSGIApplication, environ: WSGIEnvironment) -> None:
        self.app = app
        self.environ = environ

    def __call__(self, environ: WSGIEnvironment,
                 start_response: StartResponse) -> Iterable[bytes]:
        return self.app(self.environ, start_response)
