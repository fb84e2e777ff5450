"""CORS: letting pages of other origins call an application, opt-in.

    >>> from webkit import CORS, Dispatcher
    >>> routes = Dispatcher()
    >>> _ = routes.connect('items', '/items', lambda req: '[]', methods=('GET', 'POST'))
    >>> app = CORS(routes, ['https://app.example'])
    >>> app
    CORS(<Dispatcher with 1 routes>, ['https://app.example'])

Preflights are answered from the route table; see ``docs/cors.rst``.
"""
import re
from collections.abc import Collection, Iterable
from typing import Any
from urllib.parse import urlsplit
from wsgiref.types import WSGIApplication

from webob import Response

from . import _wsgi
from .dispatch import route_table
from .exc import ConfigurationError, HTTPMethodNotAllowed, HTTPRouteNotFound
from .request import Request
from .request import origin as origin_of

__all__ = ['CORS']

# A header name (RFC 9110 token): what may be listed in Access-Control-*.
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+").fullmatch
# No route has this method: asking for it gives every method a path has.
_PROBE_METHOD = 'WEBKIT-CORS-PROBE'
_MOUNTED = 'a mounted application'


class CORS(_wsgi.Layer):
    """Middleware answering cross-origin requests from ``origins`` to ``app``.

    - ``origins``: the exact origins allowed (``'https://app.example'``,
      port included unless it is the default), or ``'*'`` for any origin,
      only without credentials;
    - ``credentials``: send ``Access-Control-Allow-Credentials: true``
      (cookies and HTTP authentication go along);
    - ``expose_headers``: response headers scripts may read;
    - ``allow_headers``: request headers scripts may send (checked in
      preflights; ``Content-Type`` by default, for JSON bodies);
    - ``max_age``: seconds a browser may keep a preflight's answer;
    - ``routes``: the names of the routes CORS applies to (default: all).

    A preflight (``OPTIONS`` with ``Access-Control-Request-Method``) is
    answered with the methods the path really has, found in ``app``'s
    route table, when the origin, the method and the headers asked for
    are all allowed. Any other request is passed on, and its answer gets
    the CORS headers when the origin is allowed; every answer in scope
    varies by ``Origin``. A refused origin gets no CORS header at all.
    """

    def __init__(self, app: WSGIApplication, origins: Iterable[str] | str, *,
                 credentials: bool = False, expose_headers: Iterable[str] = (),
                 allow_headers: Iterable[str] = ('Content-Type',), max_age: int | None = 600,
                 routes: Collection[str] | None = None) -> None:
        self.app = app
        self.any_origin = origins == '*'
        self.origins = [] if self.any_origin else [_checked_origin(o) for o in
                                                   _sequence('origins', origins)]
        if self.any_origin and credentials:
            raise ConfigurationError('CORS', "origins='*' with credentials=True would let "
                                     'every site act as its users; list the origins')
        self.credentials = bool(credentials)
        self.expose_headers = _header_names('expose_headers', expose_headers)
        self.allow_headers = _header_names('allow_headers', allow_headers)
        if max_age is not None and not (type(max_age) is int and max_age >= 0):
            raise ConfigurationError('CORS', f'max_age is a number of seconds or None '
                                     f'(you gave {max_age!r})')
        self.max_age = max_age
        table = route_table(app)
        if table is None:
            raise ConfigurationError('CORS', f'{app!r:.60} has no route table to answer '
                                     'preflights from; wrap a webkit application')
        self.table = table
        known = {route.name for route in self.table.routes}
        self.route_names = None if routes is None else frozenset(_sequence('routes', routes))
        unknown = sorted((self.route_names or known) - known)
        if unknown:
            raise ConfigurationError('CORS', f'no routes named {unknown}; known: '
                                     f'{", ".join(sorted(known))}')
        self._allowed_set = frozenset(self.origins)
        self._allowed_lower = {name.lower() for name in self.allow_headers}

    def __repr__(self) -> str:
        origins = "'*'" if self.any_origin else repr(self.origins)
        return f'CORS({self.app!r}, {origins})'

    def respond(self, req: Request) -> Any:
        sent_from = req.headers.get('Origin')
        path = req.path_info or '/'
        if req.method == 'OPTIONS' and sent_from is not None and \
                'Access-Control-Request-Method' in req.headers:
            return self._preflight(req, path, sent_from)
        resp = req.get_response(self.app)
        if self._in_scope(path, req.method):
            _vary(resp, 'Origin')
            if sent_from is not None and self._allows(sent_from):
                self._allow(resp, sent_from)
                if self.expose_headers:
                    resp.headers['Access-Control-Expose-Headers'] = ', '.join(
                        self.expose_headers)
        return resp

    def _allows(self, sent_from: str) -> bool:
        return self.any_origin or sent_from in self._allowed_set

    def _allow(self, resp: Response, sent_from: str) -> None:
        resp.headers['Access-Control-Allow-Origin'] = '*' if self.any_origin else sent_from
        if self.credentials:
            resp.headers['Access-Control-Allow-Credentials'] = 'true'

    def _preflight(self, req: Request, path: str, sent_from: str) -> Response:
        """The answer to a preflight: CORS headers only if all it asks is allowed."""
        methods = self.methods(path)
        passed = None
        if methods is _MOUNTED:  # the mounted application knows its methods
            passed = req.get_response(self.app)
            methods = tuple(passed.allow or ()) if passed.status_int < 300 else None
        asked = req.headers['Access-Control-Request-Method']
        headers = [name.strip() for name in
                   req.headers.get('Access-Control-Request-Headers', '').split(',')
                   if name.strip()]
        if (methods is None or not self._allows(sent_from) or asked not in methods
                or any(name.lower() not in self._allowed_lower for name in headers)):
            resp = passed or req.get_response(self.app)  # its own answer, no CORS headers
            _vary(resp, 'Origin')
            return resp
        resp = Response(status=204)
        del resp.content_type  # no body, no type
        self._allow(resp, sent_from)
        resp.headers['Access-Control-Allow-Methods'] = ', '.join(methods)
        if headers:
            resp.headers['Access-Control-Allow-Headers'] = ', '.join(headers)
        if self.max_age is not None:
            resp.headers['Access-Control-Max-Age'] = str(self.max_age)
        resp.vary = ('Origin', 'Access-Control-Request-Method',
                     'Access-Control-Request-Headers')
        return resp

    def methods(self, path: str) -> tuple[str, ...] | str | None:
        """The methods of ``path`` in scope, as the route table has them.

        None when no route in scope has the path; ``_MOUNTED`` when a
        mounted application takes it (its own ``Allow`` says).
        """
        try:
            route = self.table.match(path, _PROBE_METHOD)[0]
        except HTTPRouteNotFound:
            return None
        except HTTPMethodNotAllowed as refusal:
            allowed = refusal.allowed
        else:  # every method goes to a mounted application
            return _MOUNTED if self.route_names is None or route.name in self.route_names \
                else None
        if self.route_names is not None:
            allowed = tuple(m for m in allowed if m == 'OPTIONS' or self._in_scope(path, m))
        return allowed if set(allowed) - {'OPTIONS'} else None

    def _in_scope(self, path: str, method: str) -> bool:
        if self.route_names is None:
            return True
        try:
            route = self.table.match(path, method)[0]
        except (HTTPRouteNotFound, HTTPMethodNotAllowed):
            return False
        return route.name in self.route_names


def _vary(resp: Response, header: str) -> None:
    if header not in (resp.vary or ()):
        resp.vary = (*(resp.vary or ()), header)


def _sequence(what: str, value: Any) -> list[Any]:
    if isinstance(value, str) or not isinstance(value, (list, tuple, set, frozenset)):
        raise ConfigurationError('CORS', f'{what} is a list (you gave {value!r})')
    return list(value)


def _checked_origin(value: Any) -> str:
    parts = urlsplit(value) if isinstance(value, str) else None
    if (parts is None or parts.scheme not in ('http', 'https') or not parts.hostname
            or parts.path or parts.query or parts.fragment or parts.username):
        raise ConfigurationError('CORS', f'an origin is scheme://host[:port], as a browser '
                                 f'sends it in Origin (you gave {value!r})')
    normal = origin_of(value)
    if normal != value:
        raise ConfigurationError('CORS', f'browsers send the origin {value!r} as {normal!r}; '
                                 'list it that way')
    return value


def _header_names(what: str, names: Any) -> tuple[str, ...]:
    names = _sequence(what, names)
    for name in names:
        if not isinstance(name, str) or not _TOKEN(name):
            raise ConfigurationError('CORS', f'{what}: {name!r} is not a header name')
    return tuple(names)
