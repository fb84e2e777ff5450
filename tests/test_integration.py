"""Defects between modules: middleware stacks, forms with CSRF, limits, URLs.

Each module has its own tests; these compose them the way applications do
(``Sessions(CSRFProtection(app))`` and the other order, a request class of
the application's own, a public ``base_url``) and check that each layer's
assumptions about the others hold.
"""
import io

import pytest
from webob import exc
from webtest import TestApp

from webkit import CSRFProtection, Dispatcher, Request, Sessions, flash
from webkit.forms import render_form
from webkit.lint import check_app
from webkit._wsgi import probe
from webkit.server import make_server
from webkit.sessions import session

SECRET = 's3cret-' * 6
MEGABYTE = 1024 * 1024


class UploadRequest(Request):
    max_body_size = 4 * MEGABYTE
    max_form_fields = 3000


class Uploads:
    routes = Dispatcher(RequestClass=UploadRequest)
    routes.connect('form', '/', 'form')
    routes.connect('upload', '/upload', 'upload', methods=('POST',))

    def form(self, req):
        return render_form('<form method="post" action="/upload"></form>', req=req)

    def upload(self, req):
        return f'{len(req.POST.getall("a"))} fields, {len(req.POST.get("b", ""))} bytes'

    __call__ = routes


class Site:
    routes = Dispatcher()
    routes.connect('index', '/', 'index')
    routes.connect('save', '/save', 'save', methods=('POST',))
    routes.connect('boom', '/boom', 'boom')

    def index(self, req):
        return render_form('<form method="post" action="/save"><input name="a"></form>',
                           req=req)

    def save(self, req):
        return 'saved'

    def boom(self, req):
        session(req)['half'] = 'done'
        flash(req, 'Saved')
        raise RuntimeError('the second half failed')

    __call__ = routes


STACKS = {
    'sessions outside': lambda app: Sessions(CSRFProtection(app, SECRET), SECRET),
    'csrf outside': lambda app: CSRFProtection(Sessions(app, SECRET), SECRET),
}


def _token(client):
    form = client.get('/').form
    return form['csrf_token'].value if 'csrf_token' in form.fields else ''


# -- body limits: a middleware layer must not refuse what the application takes

@pytest.mark.parametrize('wrap', [lambda app: Sessions(app, SECRET),
                                  lambda app: CSRFProtection(app, SECRET),
                                  *STACKS.values()],
                         ids=['sessions', 'csrf', *STACKS])
def test_integration_middleware_takes_the_bodies_the_application_takes(wrap):
    client = TestApp(wrap(Uploads()))
    fields = [('csrf_token', _token(client)), ('b', 'x' * (2 * MEGABYTE))]
    fields += [('a', str(i)) for i in range(1500)]
    assert client.post('/upload', fields).text == f'1500 fields, {2 * MEGABYTE} bytes'
    # ... and still refuses, unread, what the application refuses.
    client.post('/upload', {'b': 'x' * (5 * MEGABYTE)}, status=413)


def test_integration_middleware_bounds_a_chunked_body_by_the_applications_limit():
    body = b'b=' + b'x' * (2 * MEGABYTE)
    req = Request.blank('/upload', method='POST',
                        content_type='application/x-www-form-urlencoded')
    req.environ.pop('CONTENT_LENGTH', None)
    req.environ.update({'wsgi.input': io.BytesIO(body), 'wsgi.input_terminated': True})
    assert req.get_response(Sessions(Uploads(), SECRET)).text == \
        f'0 fields, {2 * MEGABYTE} bytes'


def test_integration_server_limit_follows_the_application_through_middleware():
    stack = Sessions(CSRFProtection(Uploads(), SECRET), SECRET)
    assert _server_limit(stack) == 4 * MEGABYTE
    assert _server_limit(Sessions(Site(), SECRET)) == Request.max_body_size
    assert _server_limit(Renamed(Sessions(Uploads(), SECRET))) == 4 * MEGABYTE


def _server_limit(app):
    """The largest body webkit.serve takes for ``app`` (waitress refuses one byte more)."""
    server = make_server(app, port=0)
    try:
        return server.adj.max_request_body_size - 1
    finally:
        server.close()


class Renamed:
    """Foreign middleware keeping the application under another name (as
    Paste's TransLogger does with ``.application``): nothing can walk it."""

    def __init__(self, application):
        self.application = application

    def __call__(self, environ, start_response):
        return self.application(dict(environ), start_response)  # a copy, even


# -- forms and CSRF

class OwnTokenField:
    """A template that writes the token itself (as csrf_token(req) allows)."""

    routes = Dispatcher()
    routes.connect('index', '/', 'index')
    routes.connect('save', '/save', 'save', methods=('POST',))

    def index(self, req):
        from webkit.csrf import csrf_token
        page = (f'<form method="post" action="/save">'
                f'<input type="hidden" name="csrf_token" value="{csrf_token(req)}">'
                f'<input name="a"></form>'
                f'<form method="post" action="/save"><input name="b"></form>')
        return render_form(page, req=req)

    def save(self, req):
        return 'saved'

    __call__ = routes


def test_integration_form_with_its_own_token_field_gets_no_second_one():
    client = TestApp(CSRFProtection(OwnTokenField(), SECRET))
    page = client.get('/')
    first, second = page.forms[0], page.forms[1]
    assert page.text.count('name="csrf_token"') == 2  # one in each form
    assert first.submit().text == 'saved'
    assert second.submit().text == 'saved'


# -- CSRF in front of Sessions: the route table is still the application's

@pytest.mark.parametrize('wrap', STACKS.values(), ids=STACKS)
def test_integration_csrf_leaves_404_and_405_to_the_application(wrap):
    client = TestApp(wrap(Site()))
    resp = client.put('/', status=405)
    assert resp.headers['Allow'] == 'GET, HEAD, OPTIONS'
    client.post('/nowhere', status=404)
    client.post('/save', status=403)  # what reaches a handler is still checked


@pytest.mark.parametrize('wrap', STACKS.values(), ids=STACKS)
def test_integration_lint_finds_nothing_wrong_in_either_stack(wrap):
    assert [str(f) for f in check_app(wrap(Uploads()))] == []


# -- a request that failed keeps no half of its session changes

@pytest.mark.parametrize('wrap', STACKS.values(), ids=STACKS)
def test_integration_session_is_not_saved_by_a_failed_request(wrap, caplog):
    client = TestApp(wrap(Site()))
    resp = client.get('/boom', status=500)
    assert 'the second half failed' in caplog.text  # logged, not shown
    assert 'second half' not in resp.text
    assert not any(c.startswith('webkit_session=') for c in resp.headers.getall('Set-Cookie'))
    assert 'webkit_session' not in client.cookies


# -- behind a proxy: the public address is configuration (base_url)

class Public:
    routes = Dispatcher(base_url='https://example.org')
    routes.connect('index', '/', 'index')
    routes.connect('save', '/save', 'save', methods=('POST',))

    def index(self, req):
        action = req.link('save', qualified=True)
        return render_form(f'<form method="post" action="{action}"><input name="a"></form>'
                           f'<form method="post" action="https://evil.example/x"></form>',
                           req=req)

    def save(self, req):
        return 'saved'

    __call__ = routes


# The proxy passes neither the public host nor the scheme on.
BEHIND_PROXY = {'HTTP_HOST': '127.0.0.1:8080'}


@pytest.mark.parametrize('wrap', STACKS.values(), ids=STACKS)
def test_integration_forms_posting_to_base_url_carry_the_token_and_pass(wrap):
    client = TestApp(wrap(Public()), extra_environ=BEHIND_PROXY)
    page = client.get('/')
    assert page.text.count('name="csrf_token"') == 1  # never to another site
    fields = dict(page.forms[0].submit_fields())
    assert client.post('/save', fields, headers={'Origin': 'https://example.org'}).text \
        == 'saved'
    client.post('/save', fields, headers={'Origin': 'https://evil.example'}, status=403)
    client.post('/save', fields, headers={'Origin': 'http://example.org'}, status=403)


class Redirects:
    routes = Dispatcher(base_url='https://example.org')
    routes.connect('done', '/done', 'done')
    routes.connect('raise_it', '/raise', 'raise_it', methods=('POST',))
    routes.connect('return_it', '/return', 'return_it', methods=('POST',))
    routes.connect('set_it', '/set', 'set_it', methods=('POST',))

    def done(self, req):
        return 'done'

    def raise_it(self, req):
        raise exc.HTTPSeeOther(location=req.link('done'))

    def return_it(self, req):
        return exc.HTTPSeeOther(location=req.link('done'))

    def set_it(self, req):
        req.response.status = 303
        req.response.location = req.link('done')

    __call__ = routes


@pytest.mark.parametrize('path', ['/raise', '/return', '/set'])
@pytest.mark.parametrize('wrap', [
    lambda app: app,
    lambda app: Sessions(CSRFProtection(app, SECRET, exempt=lambda req: True), SECRET)],
    ids=['bare', 'stacked'])
def test_integration_redirects_go_to_base_url_not_to_the_host_header(wrap, path):
    client = TestApp(wrap(Redirects()), extra_environ={**BEHIND_PROXY,
                                                      'SCRIPT_NAME': '/caf\xc3\xa9'})
    resp = client.post(path, status=303)
    assert resp.headers['Location'] == 'https://example.org/caf%C3%A9/done'


def test_integration_wsgify_middleware_takes_the_bodies_the_application_takes():
    from webkit import wsgify

    @wsgify.middleware
    def passing(req, app):
        return req.get_response(app)

    client = TestApp(passing(Uploads()))
    assert client.post('/upload', {'b': 'x' * (2 * MEGABYTE)}).text == \
        f'0 fields, {2 * MEGABYTE} bytes'
    client.post('/upload', {'b': 'x' * (5 * MEGABYTE)}, status=413)


class Passing:
    """Third-party middleware: keeps the application as ``.app``, nothing else."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        return self.app(environ, start_response)


def plain_wsgi(environ, start_response):
    start_response('200 OK', [('Content-Type', 'text/plain; charset=UTF-8')])
    return [b'plain']


def test_integration_middleware_finds_the_request_class_through_other_middleware():
    for stack in (Sessions(Passing(Uploads()), SECRET), Sessions(Renamed(Uploads()), SECRET)):
        client = TestApp(stack)
        assert client.post('/upload', {'b': 'x' * (2 * MEGABYTE)}).text == \
            f'0 fields, {2 * MEGABYTE} bytes'
        client.post('/upload', {'b': 'x' * (5 * MEGABYTE)}, status=413)


def test_integration_middleware_leaves_a_plain_applications_body_to_it():
    # webkit limits the bodies webkit reads; a foreign application reads its own.
    looped = Passing(plain_wsgi)
    looped.app = looped  # a cycle must not hang anything
    assert TestApp(Sessions(plain_wsgi, SECRET)).post(
        '/', {'b': 'x' * (2 * MEGABYTE)}).text == 'plain'


def test_integration_translogger_keeps_the_limit_and_the_route_table():
    from paste.translogger import TransLogger

    from webkit.dispatch import route_table
    stack = TransLogger(Sessions(CSRFProtection(Uploads(), SECRET), SECRET),
                        setup_console_handler=False)
    assert route_table(stack) is Uploads.routes
    assert _server_limit(stack) == 4 * MEGABYTE and probe(stack).routes is Uploads.routes
    client = TestApp(stack)
    assert client.post('/upload', [('csrf_token', _token(client)),
                                   ('b', 'x' * (2 * MEGABYTE))]).text.endswith(
        f'{2 * MEGABYTE} bytes')


# -- one request through the stack

class Counted:
    """Counts what a request costs inside webkit: requests, guards, lookups, checks."""

    def __init__(self, monkeypatch):
        from webkit import _wsgi, dispatch, request
        self.counts = dict.fromkeys(('requests', 'guards', 'lookups', 'header checks'), 0)
        for owner, name, key in ((request.Request, '__init__', 'requests'),
                                 (_wsgi, 'enter', 'guards'),
                                 (dispatch.Dispatcher, '_lookup', 'lookups'),
                                 (_wsgi, '_check_headers', 'header checks')):
            monkeypatch.setattr(owner, name, self._counting(getattr(owner, name), key))

    def _counting(self, func, key):
        def counted(*args, **kw):
            self.counts[key] += 1
            return func(*args, **kw)
        return counted

    def reset(self):
        self.counts.update(dict.fromkeys(self.counts, 0))


class SignupForm:
    routes = Dispatcher()
    routes.connect('form', '/', 'form')
    routes.connect('save', '/', 'save', methods=('POST',))

    def form(self, req, errors=None):
        return render_form('<form method="post"><input name="email"></form>',
                           req.POST, errors, req=req)

    def save(self, req):
        return self.form(req, {'email': 'Please enter an email address'})

    __call__ = routes


def test_integration_a_request_crosses_webkit_once(monkeypatch):
    client = TestApp(Sessions(CSRFProtection(SignupForm(), SECRET), SECRET))
    token = _token(client)
    counted = Counted(monkeypatch)
    # A new client's first page: the token's cookie is added to the header
    # list, which the guard checks once.
    assert 'Set-Cookie' in TestApp(client.app).get('/').headers
    assert counted.counts == {'requests': 1, 'guards': 1, 'lookups': 1, 'header checks': 1}
    for answer in lambda: client.get('/'), lambda: client.post(
            '/', {'csrf_token': token, 'email': 'nope'}):
        counted.reset()
        page = answer()
        # These responses keep every header as a value, each checked as it
        # was set (webkit.response): the guard has none left to check.
        assert page.headers['Vary'] == 'Cookie' and 'no-store' in page.headers['Cache-Control']
        assert counted.counts == {'requests': 1, 'guards': 1, 'lookups': 1, 'header checks': 0}
    assert 'Please enter an email address' in page.text and 'aria-invalid' in page.text


class Pages:
    routes = Dispatcher()
    routes.connect('plain', '/', 'plain')
    routes.connect('seen', '/seen', 'seen')
    routes.connect('typed', '/typed', 'typed')

    def plain(self, req):
        return 'plain é'

    def seen(self, req):
        return f'user {session(req).get("user")}'

    def typed(self, req):
        req.response.content_type = 'text/plain'
        return 'typed'

    __call__ = routes


@pytest.mark.parametrize('method', ['GET', 'HEAD'])
def test_integration_a_page_using_neither_layer_is_sent_as_the_application_sends_it(
        monkeypatch, method):
    from webkit import _wsgi
    alone = TestApp(Pages())
    stacked = TestApp(Sessions(CSRFProtection(Pages(), SECRET), SECRET))
    for path in '/', '/typed':
        expected = alone.request(path, method=method)
        got = stacked.request(path, method=method)
        assert (got.status, got.headerlist, got.body) == (
            expected.status, expected.headerlist, expected.body)
    # A str the handler returned passes both layers as it is: no response
    # object is made for it until the first layer sends it.
    made = []
    monkeypatch.setattr(_wsgi, 'as_response', lambda *args: made.append(args) or (
        _wsgi.Response('')))
    assert stacked.request('/', method=method).headers['Content-Length'] == '8'
    assert made == []


def test_integration_an_unchanged_session_leaves_the_headers_as_values(monkeypatch):
    client = TestApp(Sessions(CSRFProtection(Pages(), SECRET), SECRET))
    client.get('/')  # the routes are made ready by the first request
    counted = Counted(monkeypatch)
    assert client.get('/seen').headers['Vary'] == 'Cookie'
    # Nothing to save: the Vary header is kept as a value, checked as it was
    # set, and the header list is never built for the guard to check.
    assert counted.counts == {'requests': 1, 'guards': 1, 'lookups': 1, 'header checks': 0}


@pytest.mark.parametrize('default, value', [('default_content_type', 'text/plain'),
                                            ('default_charset', 'latin-1'),
                                            ('default_conditional_response', True)])
def test_integration_a_str_is_sent_under_the_response_class_defaults(monkeypatch, default, value):
    from webkit import Response
    monkeypatch.setattr(Response, default, value)

    class Touched(Pages):
        def plain(self, req):
            req.response  # made: the str is written to it
            return 'plain é'

    expected = TestApp(Touched()).get('/', headers={'Range': 'bytes=0-3'})
    for app in Pages(), Sessions(CSRFProtection(Pages(), SECRET), SECRET):
        got = TestApp(app).get('/', headers={'Range': 'bytes=0-3'})
        assert (got.status, got.headerlist, got.body) == (
            expected.status, expected.headerlist, expected.body)


def test_integration_a_layer_with_a_plain_webob_request_calls_its_application_as_webob_does():
    import webob

    def boom(req):
        session(req)
        raise RuntimeError('boom')

    routes = Dispatcher()
    routes.connect('boom', '/boom', boom)
    layer = Sessions(routes, SECRET)
    layer.RequestClass = webob.Request
    # The inner application answers through WSGI, its own guard included:
    # the session it read still gets its Vary on the 500.
    page = TestApp(layer).get('/boom', status=500)
    assert page.headers['Vary'] == 'Cookie'


def test_integration_a_page_reading_the_session_still_varies_on_cookie():
    client = TestApp(Sessions(CSRFProtection(Pages(), SECRET), SECRET))
    page = client.get('/seen')
    assert page.text == 'user None' and page.headers['Vary'] == 'Cookie'
    assert page.headers['Content-Type'] == 'text/html; charset=UTF-8'
    assert 'Vary' not in client.get('/').headers


def test_integration_an_inner_plain_webob_request_class_reuses_the_request():
    import webob

    routes = Dispatcher(RequestClass=webob.Request)
    routes.connect('index', '/', view=lambda req: type(req).__name__)
    assert TestApp(Sessions(routes, SECRET)).get('/').text == 'Request'


def test_integration_checks_run_before_a_foreign_application():
    seen = []

    def foreign(environ, start_response):
        seen.append(environ['REQUEST_METHOD'])
        start_response('200 OK', [('Content-Type', 'text/plain')])
        return [b'done']

    client = TestApp(Sessions(CSRFProtection(foreign, SECRET), SECRET))
    client.post('/', {'a': '1'}, status=403)
    assert seen == []           # refused before the foreign application ran
    assert client.get('/').text == 'done' and seen == ['GET']


@pytest.mark.parametrize('reach', [lambda app: app, lambda app: Passing(app)],
                         ids=['webkit layer', 'through foreign middleware'])
def test_integration_reused_request_keeps_each_layers_response(reach):
    from webkit import wsgify

    @wsgify
    def inner(req):
        req.response.headers['X-Inner'] = '1'
        return 'inner'

    @wsgify.middleware
    def outer(req, app):
        req.response.headers['X-Outer'] = '1'       # this layer's own response
        passed = req.get_response(reach(app))        # the same request, inside
        assert req.response.headers['X-Outer'] == '1' and 'X-Inner' not in req.response.headers
        return passed

    res = TestApp(outer(inner)).get('/')
    assert res.text == 'inner' and res.headers['X-Inner'] == '1' and 'X-Outer' not in res.headers


@pytest.mark.parametrize('reach', [lambda app: app, lambda app: Passing(app)],
                         ids=['webkit layer', 'through foreign middleware'])
def test_integration_an_inner_dispatcher_leaves_the_outer_handler_its_link(reach):
    def inner_page(req):
        req.response.headers['X-Inner'] = '1'
        return 'inner'

    inner = Dispatcher()
    inner.connect('inner_page', '/page', inner_page)

    def page(req):
        text = req.get_response(reach(inner)).text
        # Its own link and, never made by it, no response of the inner handler's.
        return f'{text} {req.link("home")} {"X-Inner" in req.response.headers}'

    outer = Dispatcher()
    outer.connect('home', '/', lambda req: 'home')
    outer.connect('page', '/page', page)
    assert TestApp(outer).get('/page').text == 'inner / False'


def test_integration_a_5xx_answer_saves_no_session_change():
    from webkit import wsgify

    @wsgify
    def busy(req):
        session(req)['half'] = 'done'
        return exc.HTTPServiceUnavailable()

    res = TestApp(Sessions(busy, SECRET)).get('/', status=503)
    assert 'Set-Cookie' not in res.headers


def test_integration_probe_finds_nothing_in_a_failing_application():
    from webkit._wsgi import Probe, probe

    def failing(environ, start_response):
        raise RuntimeError('not now')

    class Closing:
        closed = False

        def __call__(self, environ, start_response):
            start_response('200 OK', [])
            return self

        def __iter__(self):
            return iter([b''])

        def close(self):
            Closing.closed = True

    found = probe(failing)
    assert (found.routes, found.max_body_size) == (None, None)
    assert repr(Probe()) == '<Probe routes=None max_body_size=None host=None>'
    probe(Closing())
    assert Closing.closed
