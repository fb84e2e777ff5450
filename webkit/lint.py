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
    error DELETE /: method-not-allowed: expected 405 with Allow, got 200 OK
    error BREW /: method-not-allowed: expected 405 with Allow, got 200 OK
    error OPTIONS /: options-allow: expected an Allow header, got none
    error GET /lint-.../missing: not-found: expected 404, got 200 OK

In a test, ``assert_http_clean(app)`` fails with the list; from a shell,
``python -m webkit lint package.module:app [paths...]``.
"""
import re
import secrets

from webob import Request

from .dispatch import route_table
from .exc import HTTPMethodNotAllowed, HTTPRouteNotFound
from .request import Request as WebkitRequest

__all__ = ['Finding', 'check_app', 'assert_http_clean']

_LEAKS = re.compile(r'Traceback \(most recent call last\)|File "[^"]+", line \d+'
                    r'|\b[A-Z]\w*(?:Error|Exception): ')
_UNSAFE = re.compile(r'[\r\n\0]')
_UNSATISFIABLE = 'application/x-webkit-lint-unsatisfiable'
_SAMPLES = ('sample', '1', 'a', 'x1')


class Finding:
    """One wrong answer: ``severity`` ('error' or 'warning'), ``check``,
    the request (``method``, ``path``), ``expected`` and ``got``."""

    __slots__ = ('severity', 'check', 'method', 'path', 'expected', 'got')

    def __init__(self, severity, check, method, path, expected, got):
        self.severity = severity
        self.check = check
        self.method = method
        self.path = path
        self.expected = expected
        self.got = got

    def __repr__(self):
        return (f'Finding({self.severity!r}, {self.check!r}, {self.method!r}, '
                f'{self.path!r}, {self.expected!r}, {self.got!r})')

    def __str__(self):
        return (f'{self.severity} {self.method} {self.path}: {self.check}: '
                f'expected {self.expected}, got {self.got}')


def _sample_value(route, var, samples):
    given = samples.get(route.name, {}).get(var, samples.get(var))
    if given is not None:
        return given
    requirement = route.mapped.req_regs.get(var)
    for candidate in _SAMPLES:
        if requirement is None or requirement.match(candidate):
            return candidate
    return None


def _paths_from(routes, samples):
    paths, findings = [], []
    for route in routes.routes:
        values = {var: _sample_value(route, var, samples) for var in route.variables}
        missing = [var for var, value in values.items() if value is None]
        if missing:
            findings.append(Finding('warning', 'no-sample', '-', route.path,
                                    f'sample values for {missing}', 'none'))
            continue
        path = routes.url(route.name, **values)
        if path not in paths:
            paths.append(path)
    return paths, findings


class _Linter:
    def __init__(self, app, routes, max_body_size, strict_accept, json_paths):
        self.app = app
        self.routes = routes
        self.max_body_size = max_body_size
        self.strict_accept = strict_accept
        self.json_paths = set(json_paths or ())
        self.findings = []

    def add(self, severity, check, method, path, expected, got):
        self.findings.append(Finding(severity, check, method, path, expected, got))

    def send(self, path, method='GET', headers=None, body=None, **environ):
        req = Request.blank(path, method=method, headers=headers or {}, **environ)
        if body is not None:
            req.body = body
        try:
            resp = req.get_response(self.app)
        except Exception as error:  # the application let an exception out
            self.add('error', 'exception', method, path, 'an answer',
                     f'{type(error).__name__}')
            return None
        self.check_response(method, path, resp)
        return resp

    def check_response(self, method, path, resp):
        for name, value in resp.headerlist:
            if _UNSAFE.search(name) or _UNSAFE.search(value):
                self.add('error', 'header-injection', method, path,
                         'no CR, LF or NUL in headers', repr(f'{name}: {value}'))
        if (resp.content_type or '').startswith('text/') and not resp.charset:
            self.add('error', 'charset', method, path, f'a charset for {resp.content_type}',
                     'none')
        if method != 'HEAD' and resp.content_length is not None \
                and resp.content_length != len(resp.body):
            self.add('error', 'content-length', method, path,
                     f'Content-Length {len(resp.body)}', str(resp.content_length))
        leak = _LEAKS.search(resp.body.decode('utf-8', 'replace')) \
            if resp.status_int >= 400 else None
        if leak:
            self.add('error', 'error-page-leak', method, path,
                     'an error page without internals', leak[0])
        if resp.status_int >= 500:
            self.add('error', 'server-error', method, path, 'no 5xx', resp.status)
        if 300 <= resp.status_int < 400 and resp.location:
            if not resp.location.startswith(('http://localhost/', '/')) \
                    or resp.location.startswith('//'):
                self.add('error', 'open-redirect', method, path,
                         'a Location on this host', resp.location)

    def allowed(self, path, get):
        if self.routes is not None:
            try:
                self.routes.match(path, 'LINT')
            except HTTPMethodNotAllowed as refusal:
                return set(refusal.allowed)
            except HTTPRouteNotFound:
                return None
        return {'GET', 'HEAD', 'OPTIONS'} if get is not None and get.status_int < 400 else None

    def check_path(self, path):
        get = self.send(path)
        allowed = self.allowed(path, get)
        if get is not None and 'GET' in (allowed or {'GET'}):
            self.check_head(path, get)
            self.check_conditional(path, get)
            self.check_accept(path, get)
        for method in ('DELETE', 'BREW'):
            if allowed is not None and method not in allowed:
                self.check_refused(path, method, allowed)
        if allowed is not None:
            self.check_options(path, allowed)
            if 'POST' in allowed:
                self.check_post(path, get)
        self.send(path + '?q=%FF')
        self.send(path + '?q=' + 'x' * 16 * 1024)

    def check_refused(self, path, method, allowed):
        resp = self.send(path, method)
        if resp is None:
            return
        if resp.status_int != 405 or 'Allow' not in resp.headers:
            self.add('error', 'method-not-allowed', method, path, '405 with Allow', resp.status)
        elif self.routes is not None and _methods(resp.headers['Allow']) != allowed:
            self.add('error', 'allow-header', method, path, ', '.join(sorted(allowed)),
                     resp.headers['Allow'])

    def check_options(self, path, allowed):
        resp = self.send(path, 'OPTIONS')
        if resp is None:
            return
        if 'Allow' not in resp.headers:
            self.add('error', 'options-allow', 'OPTIONS', path, 'an Allow header', 'none')
        elif self.routes is not None and _methods(resp.headers['Allow']) != allowed:
            self.add('error', 'options-allow', 'OPTIONS', path,
                     ', '.join(sorted(allowed)), resp.headers['Allow'])

    def check_head(self, path, get):
        head = self.send(path, 'HEAD')
        if head is None:
            return
        if head.status != get.status:
            self.add('error', 'head-matches-get', 'HEAD', path, get.status, head.status)
        for name in ('Content-Type', 'Content-Length'):
            if head.headers.get(name) != get.headers.get(name):
                self.add('error', 'head-matches-get', 'HEAD', path,
                         f'{name}: {get.headers.get(name)}', str(head.headers.get(name)))
        if head.body:
            self.add('error', 'head-body', 'HEAD', path, 'an empty body',
                     f'{len(head.body)} bytes')

    def check_conditional(self, path, get):
        for header, value in (('If-None-Match', get.headers.get('ETag')),
                              ('If-Modified-Since', get.headers.get('Last-Modified'))):
            if value is None or get.status_int != 200:
                continue
            again = self.send(path, headers={header: value})
            if again is not None and (again.status_int != 304 or again.body):
                self.add('error', 'conditional-get', 'GET', path,
                         f'304 without a body for {header}', again.status)

    def check_accept(self, path, get):
        resp = self.send(path, headers={'Accept': _UNSATISFIABLE})
        if resp is None or resp.status_int == 406 or resp.status_int >= 300:
            return
        negotiates = 'accept' in resp.headers.get('Vary', '').lower()
        if self.strict_accept or negotiates:
            self.add('warning', 'not-acceptable', 'GET', f'{path} (Accept: {_UNSATISFIABLE})',
                     '406', f'{resp.status} as {resp.content_type}')

    def check_post(self, path, get):
        limit = self.max_body_size
        if limit is not None:
            req = Request.blank(path, method='POST')
            req.environ['CONTENT_LENGTH'] = str(limit + 1)
            req.environ['CONTENT_TYPE'] = 'application/x-www-form-urlencoded'
            resp = self.send_raw(req)
            if resp is not None and resp.status_int != 413:
                self.add('error', 'body-too-large', 'POST', path,
                         f'413 for {limit + 1} bytes', resp.status)
        json_endpoint = path in self.json_paths or (
            get is not None and get.content_type == 'application/json')
        if json_endpoint:
            resp = self.send(path, 'POST', headers={'Content-Type': 'text/plain'}, body=b'x')
            if resp is not None and resp.status_int != 415:
                self.add('error', 'unsupported-media-type', 'POST', path,
                         '415 for text/plain', resp.status)

    def send_raw(self, req):
        req.environ['wsgi.input'] = _Unreadable()
        try:
            resp = req.get_response(self.app)
        except Exception as error:
            self.add('error', 'exception', req.method, req.path_info, 'an answer',
                     type(error).__name__)
            return None
        return resp

    def check_app_wide(self):
        probe = f'/lint-{secrets.token_hex(4)}/missing'
        resp = self.send(probe)
        if resp is not None and resp.status_int != 404:
            self.add('error', 'not-found', 'GET', probe, '404', resp.status)
        for path in ('/%FF', '/%', '/%zz'):
            self.send(path)


class _Unreadable:
    """A request body nobody should read: the size alone must be enough."""

    def read(self, *args):
        raise OSError('the body of an oversized request was read')

    readline = read


def _methods(header):
    return {m.strip() for m in header.split(',') if m.strip()}


def check_app(app, paths=None, *, samples=None, max_body_size=None, strict_accept=False,
              json_paths=None):
    """Lint ``app``; returns the list of :class:`Finding` (empty when clean).

    - ``paths``: the paths to check; by default a webkit application's
      route table gives one per route, variables filled from ``samples``
      (``{'var': value}`` or ``{'route name': {'var': value}}``) or with
      a value that satisfies the route's requirement;
    - ``max_body_size``: bodies above it must get 413 (default: webkit's
      limit for webkit applications, unchecked otherwise);
    - ``strict_accept``: warn whenever an unsatisfiable ``Accept`` gets a
      200 (by default only when the answer says ``Vary: Accept``);
    - ``json_paths``: JSON endpoints, which must answer 415 to other bodies.
    """
    routes = route_table(app)
    findings = []
    if paths is None:
        if routes is None:
            raise ValueError(f'{app!r} has no route table: give the paths to check')
        paths, findings = _paths_from(routes, samples or {})
    if max_body_size is None and routes is not None:
        max_body_size = getattr(routes.RequestClass, 'max_body_size',
                                WebkitRequest.max_body_size)
    linter = _Linter(app, routes, max_body_size, strict_accept, json_paths)
    linter.findings.extend(findings)
    for path in paths:
        linter.check_path(path)
    linter.check_app_wide()
    return linter.findings


def assert_http_clean(app, paths=None, **options):
    """Fail (``AssertionError``) when :func:`check_app` finds errors."""
    errors = [f for f in check_app(app, paths, **options) if f.severity == 'error']
    if errors:
        raise AssertionError('HTTP lint found:\n' + '\n'.join(map(str, errors)))
