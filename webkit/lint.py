"""HTTP lint: ask a WSGI application awkward questions, report wrong answers.

For a webkit application the paths come from its route table (with
sample values for variables); for any other WSGI application, give the
paths. Each :class:`Finding` says what was sent, what was expected and
what came back::

    >>> from webkit import wsgify
    >>> @wsgify
    ... def sloppy(req):
    ...     return 'hello'                      # answers every method alike
    >>> for finding in check_app(sloppy, ['/']):
    ...     print(finding)
    error OPTIONS /: options-allow: expected an Allow header, got none
    error BREW /: method-not-allowed: expected 405 with Allow, got 200 OK
    error GET /lint-.../missing: not-found: expected 404, got 200 OK
    error GET /%FF: undecodable-path: expected 4xx, got 200 OK

In a test, ``assert_http_clean(app)`` fails with the list; from a shell,
``python -m webkit lint package.module:app [paths...]``.
"""
import html
import re
import secrets
from collections.abc import Iterable, Mapping
from typing import Any
from wsgiref.types import WSGIApplication
from urllib.parse import quote, urlsplit

from webob import Request, Response

from . import _wsgi
from .dispatch import Dispatcher, route_table
from .exc import HTTPMethodNotAllowed, HTTPRouteNotFound, URLGenerationError
from .request import Request as WebkitRequest, as_browsers_read

__all__ = ['Finding', 'check_app', 'assert_http_clean']

# What an error page must not show: a traceback, a source file path (its
# last two parts are enough, and keep the search linear), a path deep in a
# server's file system (not in a link), an OS error or an exception
# (``KeyError: 'x'``, ``KeyError('x')``).
_LEAKS = re.compile(r'Traceback \(most recent call last\)|File "[^"]+", line \d+'
                    r'|[/\\][\w.-]+[/\\][\w.-]+\.pyc?\b|\[Errno \d+\]'
                    r'''|(?<![\w/.:="'-])/(?:home|root|usr|srv|opt|var|etc|tmp|Users)'''
                    r'/[\w.-]+/[\w.-]+|\b[A-Z]\w*(?:Error|Exception)(?:: |\()')
_UNSAFE = re.compile(r'[\r\n\0]')
_UNSATISFIABLE = 'application/x-webkit-lint-unsatisfiable'
_SAMPLES = ('sample', '1', 'a', 'x1')
_BODY_METHODS = ('POST', 'PUT', 'PATCH')
_HEAD_HEADERS = ('Content-Type', 'Content-Length', 'ETag', 'Last-Modified', 'Location')


class Finding:
    """One wrong answer: ``severity`` ('error' or 'warning'), ``check``,
    the request (``method``, ``path`` and the ``headers`` it carried, as
    ``(name, value)`` pairs), ``expected`` and ``got``."""

    __slots__ = ('severity', 'check', 'method', 'path', 'expected', 'got', 'headers')

    def __init__(self, severity: str, check: str, method: str, path: str, expected: str,
                 got: str, headers: Iterable[tuple[str, str]] = ()) -> None:
        self.severity = severity
        self.check = check
        self.method = method
        self.path = path
        self.expected = expected
        self.got = got
        self.headers = tuple(headers)

    def __repr__(self) -> str:
        extra = f', {self.headers!r}' if self.headers else ''
        return (f'Finding({self.severity!r}, {self.check!r}, {self.method!r}, '
                f'{self.path!r}, {self.expected!r}, {self.got!r}{extra})')

    def __str__(self) -> str:
        # A 16 KiB probe path would drown the line: show its start and size.
        path = self.path
        if len(path) > 80:
            path = f'{path[:60]}...[{len(path)} chars]'
        sent = ''.join(f' ({name}: {value})' for name, value in self.headers)
        return (f'{self.severity} {self.method} {path}{sent}: {self.check}: '
                f'expected {self.expected}, got {self.got}')


def _sample_value(route: Any, var: str, samples: Mapping[str, Any]) -> Any:
    # {'route name': {'var': value}} first, then {'var': value}; a route may
    # be named like a variable, so only a dict is a route's own samples.
    for given in (samples.get(route.name), samples):
        if isinstance(given, dict) and not isinstance(given.get(var), (dict, type(None))):
            return given[var]
    if var in route.mapped.defaults:  # a mount's path_info: '' (the mount point)
        return route.mapped.defaults[var]
    sample = getattr(route.target, 'sample', None)  # a target that knows its own (Static)
    if callable(sample) and len(route.variables) == 1:
        return sample()
    requirement = route.mapped.req_regs.get(var)
    for candidate in _SAMPLES:
        if requirement is None or requirement.match(candidate):
            return candidate
    return None


def _route_findings(routes: Dispatcher) -> list[Finding]:
    """The route table's own problems (:mod:`webkit.routecheck`), as findings."""
    from .routecheck import check_routes
    findings = []
    for problem in check_routes(routes):
        methods = ','.join(problem.methods)
        if problem.other is not None:  # shadowed
            findings.append(Finding('error', 'route-shadowed', methods, problem.route.path,
                                    f'route {problem.route.name!r} to match',
                                    f'route {problem.other.name!r} ({problem.other.path}) '
                                    'always matching first'))
        else:
            findings.append(Finding('error', 'route-round-trip', methods, problem.route.path,
                                    f'URLs of route {problem.route.name!r} to route back '
                                    'to it', problem.detail))
    return findings


def _paths_from(routes: Dispatcher,
                samples: Mapping[str, Any]) -> tuple[list[str], list[Finding]]:
    paths: list[str] = []
    findings: list[Finding] = []
    for route in routes.routes:
        values = {var: _sample_value(route, var, samples) for var in route.variables}
        path, problem = None, None in values.values() and 'none'
        if not problem:
            try:
                path = routes.url(route.name, **values)
            except URLGenerationError as error:  # a given sample breaks a requirement
                problem = str(error)
            else:  # a path its own route does not match would test another route
                problem = _match(routes, path, min(route.methods))[0] is not route and path
        if problem:
            findings.append(Finding('warning', 'no-sample', '-', route.path,
                                    f'sample values for {route.variables}', str(problem)))
        elif path not in paths:
            paths.append(path)  # type: ignore[arg-type]  # generated: no problem
    return paths, findings


def _match(routes: Dispatcher, path: str, method: str) -> tuple[Any, set[str] | None]:
    """The route taking ``method`` at ``path``, or None and the methods it takes."""
    try:
        return routes.match(Request.blank(path).path_info, method)[0], None
    except HTTPMethodNotAllowed as refusal:
        return None, set(refusal.allowed)
    except HTTPRouteNotFound:
        return None, None


def _off_host(location: str, hosts: set[str | None]) -> bool:
    """Whether a browser following ``location`` leaves ``hosts``."""
    # '/\evil.example' and '/\t/evil.example' mean '//evil.example'.
    try:
        parts = urlsplit(as_browsers_read(location))
        if parts.scheme and parts.scheme.lower() not in ('http', 'https'):
            return True                      # javascript:, data:, ftp:...
        if parts.scheme and not parts.netloc:  # 'https:evil.example' is absolute
            parts = urlsplit('//' + parts.path.lstrip('/'))
        return bool(parts.netloc) and parts.hostname not in hosts
    except ValueError:  # 'http://[x/': no host anyone can vouch for
        return True


class _Linter:
    def __init__(self, app: WSGIApplication, routes: Dispatcher | None, max_body_size: int | None,
                 strict_accept: bool, json_paths: Iterable[str] | None, host: str) -> None:
        self.app = app
        self.routes = routes
        self.max_body_size = max_body_size
        self.strict_accept = strict_accept
        self.json_paths = set(json_paths or ())
        # The host requests are sent to, and the one the application is told it has.
        self.host = host
        base_url = getattr(routes, 'base_url', None)
        self.hosts = {urlsplit(f'//{host}').hostname,
                      urlsplit(base_url).hostname if base_url else 'localhost'}
        self.findings: list[Finding] = []

    def add(self, severity: str, check: str, sent: tuple[str, str, Any], expected: str,
            got: str) -> None:
        self.findings.append(Finding(severity, check, *sent[:2], expected, got, sent[2]))

    def send(self, path: str, method: str = 'GET', headers: Iterable[tuple[str, str]] = (),
             body: bytes | None = None, environ: dict[str, Any] | None = None) -> Any:
        """Ask the application; its answer (a webob Response) or None if it broke."""
        req = Request.blank(path, method=method, headers={'Host': self.host, **dict(headers)})
        if body is not None:
            req.body = body
        req.environ.update(environ or {})
        sent = (method, path, tuple(headers))
        try:  # the body is read here too: a streamed body may fail half-way
            status, headerlist, app_iter = req.call_application(self.app)
            try:
                content = b''.join(app_iter)
            finally:
                if hasattr(app_iter, 'close'):
                    app_iter.close()
        except Exception as error:  # the application let an exception out
            self.add('error', 'exception', sent, 'an answer', type(error).__name__)
            return None
        return self.check_response(sent, status, headerlist, content)

    def check_response(self, sent: tuple[str, str, Any], status: str, headerlist: list[Any],
                       content: bytes) -> Any:
        kept: list[tuple[str, str]] = []
        for name, value in headerlist:
            if not (isinstance(name, str) and isinstance(value, str)):
                self.add('error', 'header-type', sent, 'str header names and values',
                         repr((name, value)))
                continue
            if _UNSAFE.search(name) or _UNSAFE.search(value):
                self.add('error', 'header-injection', sent, 'no CR, LF or NUL in headers',
                         repr(f'{name}: {value}'))
            kept.append((name, value))
        try:
            resp = Response(status=status, headerlist=kept, app_iter=[content])
        except (TypeError, ValueError):
            self.add('error', 'status-line', sent, "a status such as '200 OK'", repr(status))
            return None
        if (resp.content_type or '').startswith('text/') and not resp.charset:
            self.add('error', 'charset', sent, f'a charset for {resp.content_type}', 'none')
        length = resp.headers.get('Content-Length')
        # HEAD and 304 may announce the length of the body they leave out.
        if length is not None and sent[0] != 'HEAD' and resp.status_int != 304 \
                and not (length.isascii() and length.isdigit()
                         and int(length) == len(content)):
            self.add('error', 'content-length', sent, f'Content-Length {len(content)}', length)
        leak = _LEAKS.search(html.unescape(content.decode('utf-8', 'replace'))) \
            if resp.status_int >= 400 else None
        if leak:
            self.add('error', 'error-page-leak', sent, 'an error page without internals',
                     leak[0])
        if resp.status_int >= 500:
            self.add('error', 'server-error', sent, 'no 5xx', resp.status)
        location = resp.headers.get('Location')
        if 300 <= resp.status_int < 400 and location and _off_host(location, self.hosts):
            self.add('error', 'open-redirect', sent, 'a Location on this host', location)
        return resp

    def allowed(self, path: str, get: Any, options: Any) -> tuple[set[str] | None, bool]:
        """The methods ``path`` takes, and whether that set is known exactly."""
        if self.routes is not None:
            route, methods = _match(self.routes, path, 'LINT')
            if route is None:
                return methods, methods is not None
        if options is not None and 'Allow' in options.headers:
            return set(options.allow or ()), True
        if get is not None and get.status_int < 400:
            return {'GET', 'HEAD', 'OPTIONS'}, False
        return None, False

    def check_path(self, path: str) -> None:
        get = self.send(path)
        options = self.send(path, 'OPTIONS')
        allowed, exact = self.allowed(path, get, options)
        if get is not None and 'GET' in (allowed or {'GET'}):
            self.check_head(path, get)
            self.check_conditional(path, get)
            self.check_accept(path, get)
        if allowed is not None:
            self.check_options(path, get, options, allowed, exact)
            # DELETE only where it is known to be refused: elsewhere it might delete.
            for method in ('DELETE', 'BREW') if exact else ('BREW',):
                if method not in allowed:
                    self.check_refused(path, method, allowed, exact)
            self.check_body(path, get, allowed)
        joiner = '&' if '?' in path else '?'
        self.send(f'{path}{joiner}q=%FF')
        self.send(f'{path}{joiner}q=' + 'x' * 16 * 1024)

    def check_refused(self, path: str, method: str, allowed: set[str], exact: bool) -> None:
        resp = self.send(path, method)
        if resp is None:
            return
        sent = (method, path, ())
        if resp.status_int != 405 or 'Allow' not in resp.headers:
            self.add('error', 'method-not-allowed', sent, '405 with Allow', resp.status)
        elif exact and set(resp.allow or ()) != allowed:
            self.add('error', 'allow-header', sent, ', '.join(sorted(allowed)),
                     resp.headers['Allow'])

    def check_options(self, path: str, get: Any, options: Any, allowed: set[str],
                      exact: bool) -> None:
        if options is None:
            return
        sent = ('OPTIONS', path, ())
        if 'Allow' not in options.headers:
            self.add('error', 'options-allow', sent, 'an Allow header', 'none')
        elif exact and set(options.allow or ()) != allowed:
            self.add('error', 'options-allow', sent, ', '.join(sorted(allowed)),
                     options.headers['Allow'])
        listed = 'GET' in allowed  # and GET must work exactly when listed
        if get is not None and (get.status_int == 405 if listed else get.status_int < 400):
            expected = f'{"no GET" if listed else "GET"} in Allow (GET answers {get.status})'
            self.add('error', 'allow-header', ('GET', path, ()), expected,
                     ', '.join(sorted(allowed)))

    def check_head(self, path: str, get: Any) -> None:
        head = self.send(path, 'HEAD')
        if head is None:
            return
        sent = ('HEAD', path, ())
        if head.status != get.status:
            self.add('error', 'head-matches-get', sent, get.status, head.status)
        for name in _HEAD_HEADERS:
            if head.headers.get(name) != get.headers.get(name):
                self.add('error', 'head-matches-get', sent,
                         f'{name}: {get.headers.get(name)}', str(head.headers.get(name)))
        if head.body:
            self.add('error', 'head-body', sent, 'an empty body', f'{len(head.body)} bytes')

    def check_conditional(self, path: str, get: Any) -> None:
        for header, value in (('If-None-Match', get.headers.get('ETag')),
                              ('If-Modified-Since', get.headers.get('Last-Modified'))):
            if value is None or get.status_int != 200:
                continue
            again = self.send(path, headers=[(header, value)])
            if again is not None and (again.status_int != 304 or again.body):
                self.add('error', 'conditional-get', ('GET', path, ((header, value),)),
                         '304 without a body', again.status)

    def check_accept(self, path: str, get: Any) -> None:
        sent = ('GET', path, (('Accept', _UNSATISFIABLE),))
        resp = self.send(path, headers=sent[2])
        if resp is None or resp.status_int == 406 or resp.status_int >= 300:
            return
        negotiates = self.strict_accept or any(
            'accept' in r.headers.get('Vary', '').lower() for r in (get, resp))
        if not negotiates and get.status_int < 300:
            # No Vary: does another Accept change the type all the same?
            other = 'text/html' if 'json' in (get.content_type or '') else 'application/json'
            alternative = self.send(path, headers=[('Accept', other)])
            negotiates = alternative is not None and \
                alternative.content_type != get.content_type
        if negotiates:
            self.add('warning', 'not-acceptable', sent, '406',
                     f'{resp.status} as {resp.content_type}')

    def check_body(self, path: str, get: Any, allowed: set[str]) -> None:
        method = next((m for m in _BODY_METHODS if m in allowed), None)
        if method is None:
            return
        limit = self.max_body_size
        if limit is not None:
            resp = self.send(path, method, environ={
                'CONTENT_LENGTH': str(limit + 1), 'wsgi.input': _Unreadable(),
                'CONTENT_TYPE': 'application/x-www-form-urlencoded'})
            if resp is not None and resp.status_int != 413:
                self.add('error', 'body-too-large', (method, path, ()),
                         f'413 for {limit + 1} bytes', resp.status)
        content_type = (get.content_type or '') if get is not None else ''
        if path in self.json_paths or content_type == 'application/json' \
                or content_type.endswith('+json'):
            sent = (method, path, (('Content-Type', 'text/plain'),))
            resp = self.send(path, method, sent[2], body=b'x')
            if resp is not None and resp.status_int != 415:
                self.add('error', 'unsupported-media-type', sent, '415', resp.status)

    def check_app_wide(self) -> None:
        probe = f'/lint-{secrets.token_hex(4)}/missing'
        resp = self.send(probe)
        if resp is not None and resp.status_int != 404:
            self.add('error', 'not-found', ('GET', probe, ()), '404', resp.status)
        # A server passes '%zz' on as it is, but no UTF-8 path has a lone \xff.
        resp = self.send('/%FF')
        if resp is not None and resp.status_int < 400:
            self.add('error', 'undecodable-path', ('GET', '/%FF', ()), '4xx', resp.status)
        for path in ('/%', '/%zz'):
            self.send(path)


class _Unreadable:
    """A request body nobody should read: the size alone must be enough."""

    def read(self, *args: object) -> bytes:
        raise OSError('the body of an oversized request was read')

    readline = read


def check_app(app: WSGIApplication, paths: Iterable[str] | None = None, *,
              samples: Mapping[str, Any] | None = None, max_body_size: int | None = None,
              strict_accept: bool = False, json_paths: Iterable[str] | None = None,
              host: str | None = None) -> list[Finding]:
    """Lint ``app``; returns the list of :class:`Finding` (empty when clean).

    - ``paths``: the paths to check; by default a webkit application's
      route table gives one per route, variables filled from ``samples``
      (``{'var': value}`` or ``{'route name': {'var': value}}``) or with
      a value that satisfies the route's requirement;
    - ``max_body_size``: bodies above it must get 413 (default: webkit's
      limit for webkit applications, unchecked otherwise);
    - ``strict_accept``: warn whenever an unsatisfiable ``Accept`` gets a
      200 (by default only when the application negotiates);
    - ``json_paths``: JSON endpoints, which must answer 415 to other bodies;
    - ``host``: the ``Host`` the requests carry; by default one that a
      :class:`~webkit.proxy.PublicOrigin` in front allows, else ``localhost``.

    ``DELETE`` goes only where the route table or ``Allow`` refuses it;
    bodies only oversized (never to be read) or to JSON endpoints.
    """
    routes = route_table(app)
    findings: list[Finding] = []
    if paths is None:
        if routes is None:
            raise ValueError(f'{app!r} has no route table: give the paths to check')
        paths, findings = _paths_from(routes, samples or {})
    # Request.blank needs ASCII: encode what a client would, keep what is encoded.
    paths = [quote(path, safe="/?&=%:;@!$'()*+,~#[]") for path in paths]
    if max_body_size is None and routes is not None:
        max_body_size = getattr(routes.RequestClass, 'max_body_size',
                                WebkitRequest.max_body_size)
    if host is None:
        host = _wsgi.probe(app).host or 'localhost'
    linter = _Linter(app, routes, max_body_size, strict_accept, json_paths, host)
    linter.findings.extend(findings)
    if routes is not None:
        linter.findings.extend(_route_findings(routes))
    for path in paths:
        linter.check_path(path)
    linter.check_app_wide()
    return linter.findings


def assert_http_clean(app: WSGIApplication, paths: Iterable[str] | None = None,
                      **options: Any) -> None:
    """Fail (``AssertionError``) when :func:`check_app` finds errors."""
    errors = [f for f in check_app(app, paths, **options) if f.severity == 'error']
    if errors:
        raise AssertionError('HTTP lint found:\n' + '\n'.join(map(str, errors)))
