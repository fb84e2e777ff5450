"""The class dispatcher: a Routes ``Mapper`` with HTTP done right.

Put a :class:`Dispatcher` on an application class, connect routes to
its methods, and instances become WSGI applications::

    >>> from webkit import Dispatcher
    >>> class Hello:
    ...     routes = Dispatcher()
    ...     routes.connect('index', '/', 'index')
    ...     routes.connect('greet', '/greet/{name}', 'greet')
    ...
    ...     def __init__(self, greeting='Hello'):
    ...         self.greeting = greeting        # a configured application
    ...
    ...     def index(self, req):
    ...         return f'Try {req.link("greet", name="Ada Lovelace")}'
    ...
    ...     def greet(self, req, name):
    ...         return f'{self.greeting}, {name}!'
    ...
    ...     __call__ = routes                   # instances are WSGI apps
    >>> from webtest import TestApp
    >>> app = TestApp(Hello('Bonjour'))
    >>> app.get('/').text
    'Try /greet/Ada%20Lovelace'
    >>> app.get('/greet/Ada%20Lovelace').text
    'Bonjour, Ada Lovelace!'
    >>> print(Hello.routes)
    name   methods   path           target
    index  GET,HEAD  /              Hello.index
    greet  GET,HEAD  /greet/{name}  Hello.greet

A target is the name of a method of the class, a view function
``f(req, **urlvars)``, or a :class:`webkit.Controller` subclass.
"""
from __future__ import annotations

import re
from types import FunctionType
from collections.abc import Iterable, Mapping

from routes import Mapper

from . import _checks, _wsgi
from .controller import Controller
from .exc import (ConfigurationError, HTTPMethodNotAllowed, HTTPRouteNotFound,
                  URLGenerationError)
from .request import PUBLIC_URL, Request
from ._router import Router
from .route import ANY_METHOD, Link, Route, sort_methods

TYPE_CHECKING = False
if TYPE_CHECKING:  # for the type checker: importing typing costs a process half a MiB
    from typing import Any
    from wsgiref.types import StartResponse, WSGIEnvironment

__all__ = ['Dispatcher', 'route_table']

# CONTENT_LENGTH of a request without a body: nothing to check.
_NO_BODY = frozenset({None, '', '0'})
# webkit's own req.path_info: an ASCII PATH_INFO is what it would give.
_PATH_INFO = Request.path_info
_NOT_FOUND = _wsgi.StaticPage('404 Not Found', HTTPRouteNotFound('', '').body,
                              exception=lambda: HTTPRouteNotFound('', ''))


class Dispatcher(_wsgi.Layer):
    """Routes requests to methods, view functions or controllers.

    - ``connect(name, path, target, methods=('GET',), **defaults)`` adds
      a route in the Routes syntax (``/view/{item}``, ``{id:\\d+}``);
    - ``match(path, method)`` is the pure part: the route and its
      variables, or :class:`~webkit.exc.HTTPRouteNotFound` /
      :class:`~webkit.exc.HTTPMethodNotAllowed` (with ``Allow``);
    - ``url(name, **params)`` builds a path, checking the name and
      the arguments (Routes would return the bare name instead);
    - each request gets ``req.urlvars`` and ``req.link(name, **params)``,
      which prefixes ``SCRIPT_NAME`` and, given ``qualified=True``,
      ``base_url``; without it, the request's ``Host`` header is used
      (a 400 unless it is a well-formed ``host[:port]``): configure
      ``base_url`` for URLs that outlive the request, such as in emails.

    HEAD is served by GET routes without a body, OPTIONS answers with
    ``Allow``, and configuration errors raise when the route is
    connected or the class is defined, never on a request.
    """

    RequestClass = Request

    def __init__(self, *, RequestClass: type[Request] | None = None,
                 base_url: str | None = None) -> None:
        self.mapper = Mapper(explicit=True, register=False)
        self.mapper.minimization = False
        if RequestClass is not None:
            self.RequestClass = RequestClass
        self.base_url = base_url.rstrip('/') if base_url else None
        self.owner: Any = None  # the application class, once it is defined
        self.routes: list[Route] = []
        self._by_name: dict[str, Route] = {}
        self._index: Router | None = None
        self._refusals: dict[tuple[str, ...], _wsgi.StaticPage] = {}
        self._bound: _BoundDispatcher | None = None
        self._options_answers: dict[tuple[str, ...], _wsgi.StaticPage] = {}
        self._method_targets = False

    # -- configuration -------------------------------------------------

    def connect(self, name: str, path: str, target: Any = None, *,
                methods: str | Iterable[str] = ('GET',), controller: Any = None, view: Any = None,
                requirements: Mapping[str, str] | None = None, **defaults: Any) -> Route:
        """Add a route and return it; see the class docstring."""
        where = f'route {name!r}'
        _checks.check_arguments(where, defaults, requirements)
        target = _checks.one_target(where, target, controller, view)
        if not isinstance(name, str) or not name:
            raise ConfigurationError(where, 'a route needs a name')
        if name in self._by_name:
            raise ConfigurationError(where, 'this name is already used')
        requirements = dict(requirements or {})
        mapped_path = _checks.check_path(where, path, requirements)
        kind = _checks.kind_of(where, target)
        if controller is not None and kind != 'controller':
            raise ConfigurationError(where, f'controller={controller!r} is not a '
                                     'Controller subclass')
        methods = _checks.http_methods(where, methods)
        matchlist = self.mapper.matchlist
        size = len(matchlist)
        try:
            route = self._new_route(name, path, mapped_path, target, kind, methods,
                                    requirements, defaults)
        except BaseException:
            # A refused route leaves no trace, in Routes' other lists too
            # (by name and by keys, for a generation webkit does itself).
            for refused in matchlist[size:]:
                if self.mapper._routenames.get(name) is refused:
                    del self.mapper._routenames[name]
                for same_keys in self.mapper.maxkeys.values():
                    if refused in same_keys:
                        same_keys.remove(refused)
            del matchlist[size:]
            raise
        self.routes.append(route)
        self._by_name[name] = route
        self._index = None
        return route

    def mount(self, name: str, prefix: str, app: Any) -> Route:
        """Send every request under ``prefix`` to the WSGI application ``app``.

        ``SCRIPT_NAME`` and ``PATH_INFO`` are shifted as WebOb's
        ``path_info_pop`` does; see :func:`webkit.mount.mount`.
        """
        from .mount import mount
        return mount(self, name, prefix, app)

    def _new_route(self, name: str, path: str, mapped_path: str, target: Any, kind: str,
                   methods: Any, requirements: dict[str, str],
                   defaults: dict[str, Any]) -> Route:
        try:
            self.mapper.connect(name, mapped_path, requirements=requirements, **defaults)
            mapped = self.mapper.matchlist[-1]
            route = Route(name, path, methods, target, kind, mapped, len(self.routes))
            _checks.check_variables(route, requirements)
            mapped.makeregexp([])  # compiled now, so that a bad pattern fails here
        except re.error as error:
            raise ConfigurationError(f'route {name!r}', f'invalid regular expression '
                                     f'in {path!r} or its requirements: {error}') from None
        route.owner = self.owner
        if kind != 'method' or self.owner is not None:
            _checks.check_target(route)  # a method is checked once its class exists
        return route

    def __set_name__(self, owner: type, attr_name: str) -> None:
        # Called once the class body has run, so every method exists now.
        self.owner = owner
        for route in self.routes:
            route.owner = owner
            _checks.check_target(route)

    def _prepare(self, check: bool = True) -> Router:
        """Build the tree that narrows the routes down for a path (done once).

        ``check``: log the table's problems (:mod:`webkit.routecheck`), as
        on first use; ``check_routes`` itself reports them instead.
        """
        for route in self.routes:
            _checks.check_target(route)
        for route in self.routes:
            # Compiled when connected; the mapper's create_regs() would also
            # compile whatever a refused connect() left in its maxkeys.
            route.regex = route.mapped.regmatch
        self._index = Router(self.routes)
        self._method_targets = any(route.kind == 'method' for route in self.routes)
        if check:
            from .routecheck import warn_routes  # shadowed routes, URLs that do not route back
            warn_routes(self)
        return self._index

    # -- matching --------------------------------------------------------

    def match(self, path: str, method: str) -> tuple[Route, dict[str, Any]]:
        """Return ``(route, urlvars)`` for a decoded ``path`` and ``method``.

        Raises :class:`~webkit.exc.HTTPRouteNotFound` when no route has
        this path and :class:`~webkit.exc.HTTPMethodNotAllowed` when
        routes have it for other methods only.
        """
        route, found = self._lookup(path, method)
        if route is not None:
            return route, found
        if found is None:
            raise HTTPRouteNotFound(path, method)
        raise HTTPMethodNotAllowed(path, method, found)

    def _lookup(self, path: str, method: str) -> tuple[Route | None, Any]:
        """``(route, urlvars)``, or ``(None, allowed methods or None)``."""
        router = self._index if self._index is not None else self._prepare()
        allowed = None
        entries, segments = router.walk(path)
        count = len(segments)
        for route, depth, fields, defaults in entries:
            if depth == count:  # matched by its segments (see _router.Entry)
                urlvars = defaults.copy()
                for index, name in fields:
                    value = segments[index]
                    if not value:
                        break
                    urlvars[name] = value
                else:
                    if method in route.methods:
                        return route, urlvars
                    allowed = route.methods if allowed is None else allowed | route.methods
                continue
            if depth >= 0:  # a path of another length
                continue
            matched = route.match(path)
            if matched is None:
                continue
            if method in route.methods:
                return route, matched
            allowed = route.methods if allowed is None else allowed | route.methods
        if allowed is None:
            return None, None
        return None, tuple(sort_methods(allowed | {'OPTIONS'}))

    def not_found(self, req: Request) -> Any:
        """The answer when no route has the path; override to change it."""
        return _NOT_FOUND

    def method_not_allowed(self, req: Request, allowed: tuple[str, ...]) -> Any:
        """The answer when routes have the path for ``allowed`` methods only."""
        page = self._refusals.get(allowed)
        if page is None:
            page = self._refusals[allowed] = _wsgi.StaticPage(
                '405 Method Not Allowed', HTTPMethodNotAllowed('', '', allowed).body,
                [('Allow', ', '.join(allowed))],
                exception=lambda: HTTPMethodNotAllowed('', '', allowed))
        return page

    def _options_answer(self, allowed: tuple[str, ...]) -> _wsgi.StaticPage:
        # Built once per set of methods, like the 405 pages: CORS preflights
        # make OPTIONS a common request.
        page = self._options_answers.get(allowed)
        if page is None:
            page = self._options_answers[allowed] = _wsgi.StaticPage(
                '200 OK', b'', [('Allow', ', '.join(allowed))])
        return page

    def __get__(self, instance: object, owner: type | None = None) -> Any:
        if instance is None:
            return self
        # Every request to an application calls it through here: the last
        # one made is kept (and so is that application, as long as this).
        bound = self._bound
        if (bound is None or bound.app is not instance or bound.dispatcher is not self
                or bound.RequestClass is not self.RequestClass):  # a copy keeps the original's
            bound = self._bound = _BoundDispatcher(self, instance)
        return bound

    def __call__(self, environ: WSGIEnvironment,
                 start_response: StartResponse) -> Iterable[bytes]:
        """Serve as a WSGI application (for view functions and controllers)."""
        self._ready(None)  # configuration errors surface here, not as a 500
        return _wsgi.enter(self, environ, start_response)

    def _ready(self, app: object) -> None:
        if self._index is None:
            self._prepare()
        if app is None and self._method_targets:
            raise ConfigurationError(
                repr(self), 'its routes name methods, so it answers through an '
                f'instance: serve {self.owner.__name__}(...), not '
                f'{self.owner.__name__}.routes')

    def respond(self, req: Request, app: object = None) -> Any:
        """Route ``req`` and answer it."""
        if self._index is None or app is None:
            self._ready(app)
        # PATH_INFO is '' for a request of the mount point itself (/prefix).
        env = req.environ
        path = env.get('PATH_INFO', '')
        if not path.isascii() or type(req).path_info is not _PATH_INFO:
            path = req.path_info  # decoded, strictly: a path not UTF-8 is a 400
        route, found = self._lookup(path or '/', env['REQUEST_METHOD'])
        if route is None:
            return self._unrouted(req, found)
        # What ``req.urlvars = found`` and ``req.link = ...`` do, minus
        # WebOb's generic attribute handling: this runs on every request.
        routed = env.get('wsgiorg.routing_args')
        if routed is not None:  # an outer router's: its positional part is kept
            env['wsgiorg.routing_args'] = (routed[0], found)
            env.pop('paste.urlvars', None)
        elif 'paste.urlvars' in env:  # Paste's, which req.urlvars reads first
            env['paste.urlvars'] = found
        else:
            env['wsgiorg.routing_args'] = ((), found)
        if isinstance(req, Request):  # req.link, made from this dispatcher if the handler asks
            state = req.__dict__
            state['_routed_by'] = self
            state.pop('link', None)
        else:  # a plain WebOb request makes none
            req.__dict__['link'] = Link(self, req)
        if self.base_url is not None:
            env.setdefault(PUBLIC_URL, self.base_url)
        if env.get('CONTENT_LENGTH') not in _NO_BODY and isinstance(req, Request):
            req.check_body_size()  # this route's limit, before the handler runs
        if _wsgi.CHECKS in env:  # owed by an outer layer (CSRF), now that the route is known
            refusal = _wsgi.run_checks(req)
            if refusal is not None:
                return refusal
        if route.kind == 'method':
            method = getattr(type(app), route.target)
            if type(method) is FunctionType:  # a plain method, nearly always
                return method(app, req, **found)
            return _call_method(app, method, req, found)
        if route.kind == 'view':
            return route.target(req, **found)
        controller = route.target(req, app if app is not None else self)
        kind = type(controller)
        if (kind.__call__ is _CONTROLLER_CALL and kind.__init__ is _CONTROLLER_INIT
                and type(req).urlvars is _URLVARS):
            return controller._act(found)  # what it would read in req.urlvars
        return controller()

    def _unrouted(self, req: Request, allowed: tuple[str, ...] | None) -> Any:
        """The answer to a request no route takes: 404, 405 or OPTIONS."""
        if allowed is not None:
            if req.method != 'OPTIONS':
                return self.method_not_allowed(req, allowed)
            return self._options_answer(allowed)
        if req.method == 'OPTIONS' and req.path_info == '*':
            probe = req.environ.get(_wsgi.PROBE)
            if probe is not None:  # asked what the application is made of
                probe.routes = self
                probe.max_body_size = self.RequestClass.max_body_size
            # "OPTIONS *" asks about the server as a whole (RFC 9110, 9.3.7).
            return self._options_answer(tuple(sort_methods(
                {'OPTIONS'}.union(*(r.methods for r in self.routes
                                    if r.methods is not ANY_METHOD)))))
        return self.not_found(req)

    # -- URL generation --------------------------------------------------

    def url(self, name: str, /, **params: Any) -> str:
        """The path (without ``SCRIPT_NAME``) of route ``name`` for ``params``.

        >>> from webkit import Dispatcher
        >>> routes = Dispatcher()
        >>> def page(req, title): pass
        >>> _ = routes.connect('page', '/wiki/{title}', page)
        >>> routes.url('page', title='Café', rev=3)
        '/wiki/Caf%C3%A9?rev=3'
        >>> routes.url('pages')
        Traceback (most recent call last):
        ...
        webkit.exc.URLGenerationError: cannot build a URL for route 'pages' from {}: no route named 'pages'; known: page
        """
        route = self._by_name.get(name)
        if route is None:
            known = ', '.join(sorted(self._by_name)) or 'none'
            raise URLGenerationError(name, params,
                                     f'no route named {name!r}; known: {known}')
        return route.generate(params)

    # -- description -----------------------------------------------------

    def __repr__(self) -> str:
        owner = f' on {self.owner.__qualname__}' if self.owner else ''
        return f'<Dispatcher{owner} with {len(self.routes)} routes>'

    def __str__(self) -> str:
        rows = [('name', 'methods', 'path', 'target')]
        rows += [(r.name, ','.join(sort_methods(r.methods)), r.path, r.target_name)
                 for r in self.routes]
        widths = [max(len(row[i]) for row in rows) for i in range(3)]
        return '\n'.join('  '.join(cell.ljust(width) for cell, width in zip(row, widths))
                         + '  ' + row[3] for row in rows)


def route_table(app: object) -> 'Dispatcher | None':
    """The :class:`Dispatcher` a request to ``app`` reaches, or None.

    An application class's ``routes`` is read directly; otherwise an
    ``OPTIONS *`` probe is sent through ``app`` and whatever middleware
    wraps it (see ``webkit._wsgi.probe``).
    """
    if isinstance(app, Dispatcher):
        return app
    routes = getattr(app, 'routes', None)
    if isinstance(routes, (Dispatcher, _BoundDispatcher)):
        return routes.dispatcher if isinstance(routes, _BoundDispatcher) else routes
    if isinstance(app, _BoundDispatcher):
        return app.dispatcher
    if not callable(app):
        return None
    return _wsgi.probe(app).routes


def _call_method(app: object, attr: Any, req: Request, urlvars: dict[str, Any]) -> Any:
    # The method as found on the class: a wsgify-decorated method is then
    # called directly instead of being re-bound on every request.
    func = getattr(attr, 'func', None)
    if func is not None and hasattr(attr, 'wsgi_app'):
        return func(app, req, *attr.args, **{**attr.kwargs, **urlvars})
    return attr(app, req, **urlvars)


_CONTROLLER_CALL = Controller.__call__
_CONTROLLER_INIT = Controller.__init__
_URLVARS = Request.urlvars


class _BoundDispatcher(_wsgi.Layer):
    """A dispatcher seen through an application instance: a WSGI app."""

    __slots__ = ('dispatcher', 'app', 'RequestClass')

    def __init__(self, dispatcher: Dispatcher, app: object) -> None:
        self.dispatcher = dispatcher
        self.app = app
        self.RequestClass = dispatcher.RequestClass  # a copy: made again when that one changes

    def __call__(self, environ: WSGIEnvironment,
                 start_response: StartResponse) -> Iterable[bytes]:
        if self.dispatcher._index is None:
            self.dispatcher._prepare()  # configuration errors surface here, not as a 500
        return _wsgi.enter(self, environ, start_response)

    def respond(self, req: Request) -> Any:
        return self.dispatcher.respond(req, self.app)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.dispatcher, name)

    def __repr__(self) -> str:
        return f'<Dispatcher bound to a {type(self.app).__qualname__}>'

    def __str__(self) -> str:
        return str(self.dispatcher)
