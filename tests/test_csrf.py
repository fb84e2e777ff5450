"""CSRF protection: the token and its cookie, the checks, and load_secret."""
import os

import pytest
from webtest import TestApp

from tests.conftest import SECRET, make_app
from webkit import (ConfigurationError, CSRFProtection, Request, Sessions, csrf_token, session,
                    wsgify)
from webkit.forms import render_form


# -- the application round trip -------------------------------------------------

@pytest.mark.parametrize('token, extra', [
    (None, {}),
    ('wrong', {}),
    ('', {}),
])
def test_csrf_missing_or_wrong_token_is_403_and_nothing_is_done(app, calls, token, extra):
    app.get('/')
    params = {'email': 'ada@example.org', 'password': 'long enough'}
    if token is not None:
        params['csrf_token'] = token
    app.post('/', params, status=403)
    assert calls == []


def test_csrf_token_from_another_client_is_refused(calls):
    victim, attacker = make_app(calls), make_app(calls)
    attacker_token = attacker.get('/').form['csrf_token'].value
    victim.get('/')
    victim.post('/', {'email': 'a@example.org', 'password': 'long enough',
                      'csrf_token': attacker_token}, status=403)
    assert calls == []


def test_csrf_foreign_origin_is_refused_even_with_token(app, calls):
    form = app.get('/').form
    form['email'] = 'ada@example.org'
    form['password'] = 'long enough'
    form.submit(headers={'Origin': 'https://evil.example'}, status=403)
    form.submit(headers={'Origin': 'null'}, status=403)
    form.submit(headers={'Origin': 'http://['}, status=403)  # no URL at all: not a 500
    assert calls == []
    assert form.submit(headers={'Origin': 'http://localhost'}).status_int == 303


def test_csrf_header_token_for_scripts(app, calls):
    token = app.get('/').form['csrf_token'].value
    app.post('/', {'email': 'ada@example.org', 'password': 'long enough'},
             headers={'X-CSRF-Token': token}, status=303)
    assert len(calls) == 1


def test_csrf_exempt_requests_pass_unchecked():
    api = CSRFProtection(wsgify(lambda req: 'ok'), SECRET,
                         exempt=lambda req: req.path_info.startswith('/api/'))
    client = TestApp(api)
    assert client.post('/api/x').text == 'ok'
    client.post('/form', status=403)


def test_csrf_cookie_is_httponly_lax_and_secure_over_https(app):
    plain = app.get('/').headers['Set-Cookie']
    assert 'HttpOnly' in plain and 'SameSite=Lax' in plain and 'secure' not in plain.lower()
    secure = make_app([]).get('/', extra_environ={'wsgi.url_scheme': 'https'})
    assert '; secure' in secure.headers['Set-Cookie'].lower()


def test_csrf_cookie_only_for_pages_that_carry_the_token_and_they_vary_by_cookie():
    @wsgify
    def site(req):
        if req.path_info == '/form':
            return render_form('<form method="post"></form>', req=req)
        if req.path_info == '/script':
            return f'<meta name="csrf" content="{csrf_token(req)}">'
        return 'no form here'

    client = TestApp(CSRFProtection(site, SECRET))
    plain = client.get('/')
    assert 'Set-Cookie' not in plain.headers and 'Vary' not in plain.headers
    form = client.get('/form')
    assert 'webkit_csrf=' in form.headers['Set-Cookie'] and form.headers['Vary'] == 'Cookie'
    token = form.form['csrf_token'].value
    again = client.get('/script')                     # the cookie is kept: no new one
    assert 'Set-Cookie' not in again.headers and again.headers['Vary'] == 'Cookie'
    assert f'content="{token}"' in again.text
    assert 'Set-Cookie' not in TestApp(CSRFProtection(site, SECRET)).get('/x').headers


def test_csrf_token_helper_and_repr():
    seen = []

    @wsgify
    def show(req):
        seen.append(csrf_token(req))

    protected = CSRFProtection(show, SECRET)
    TestApp(protected).get('/')
    assert len(seen[0]) >= 40
    assert repr(protected).startswith('CSRFProtection(wsgify(')


@pytest.mark.parametrize('secret', [None, 'short', b'x' * 10])
def test_csrf_and_sessions_refuse_weak_secrets(secret):
    with pytest.raises(ConfigurationError):
        CSRFProtection(wsgify(lambda req: ''), secret)
    with pytest.raises(ConfigurationError):
        Sessions(wsgify(lambda req: ''), secret)


def test_csrf_accepts_bytes_secret():
    assert CSRFProtection(wsgify(lambda req: ''), b'b' * 40).field == 'csrf_token'



# -- load_secret --------------------------------------------------------------------

def test_load_secret_makes_one_private_secret(tmp_path):
    from webkit.csrf import load_secret
    path = tmp_path / 'conf' / 'secret'
    first = load_secret(path)
    assert load_secret(path) == first and len(first) >= 32
    assert path.stat().st_mode & 0o777 == 0o600


def test_load_secret_started_at_once_gives_every_process_one_secret(tmp_path):
    import subprocess
    import sys
    path = tmp_path / 'data' / 'secret'
    code = 'import sys; from webkit.csrf import load_secret; print(load_secret(sys.argv[1]))'
    starts = [subprocess.Popen([sys.executable, '-c', code, str(path)], stdout=subprocess.PIPE,
                               text=True) for _ in range(6)]
    secrets_read = {process.communicate(timeout=60)[0].strip() for process in starts}
    assert secrets_read == {path.read_text()} and len(path.read_text()) >= 32
    assert os.listdir(path.parent) == ['secret']      # no temporary file left behind


def test_load_secret_writer_losing_the_race_keeps_the_first_secret(tmp_path):
    from webkit.csrf import _create_secret, load_secret
    path = tmp_path / 'secret'
    first = load_secret(path)
    _create_secret(path)                              # a process that checked a moment ago
    assert load_secret(path) == first and os.listdir(tmp_path) == ['secret']


def test_load_secret_refuses_an_empty_file_for_good(tmp_path):
    from webkit.csrf import load_secret
    (tmp_path / 'secret').write_text('  \n')
    (tmp_path / 'secret').chmod(0o600)
    with pytest.raises(ConfigurationError) as info:
        load_secret(tmp_path / 'secret')
    assert info.value.problem == 'the secret file is empty'


@pytest.mark.parametrize('mode', [0o644, 0o640, 0o604, 0o660])
def test_load_secret_refuses_a_file_others_may_read(tmp_path, mode):
    from webkit.csrf import load_secret
    path = tmp_path / 'secret'
    path.write_text('s' * 48)
    path.chmod(mode)
    with pytest.raises(ConfigurationError) as info:
        load_secret(path)
    assert info.value.what == str(path) and 'chmod 600' in info.value.problem
    path.chmod(0o600)
    assert load_secret(path) == 's' * 48



# -- routing and methods ------------------------------------------------------------

def test_csrf_lets_unrouted_methods_reach_the_apps_405():
    from webkit import Dispatcher
    routes = Dispatcher()
    routes.connect('page', '/page', lambda req: 'page')
    client = TestApp(CSRFProtection(routes, SECRET))
    res = client.delete('/page', status=405)
    assert res.headers['Allow'] == 'GET, HEAD, OPTIONS'
    client.post('/nowhere', status=404)


def test_csrf_checks_a_post_to_the_mount_point_itself():
    """Mounted at /app, a POST to /app arrives with PATH_INFO '' and routes to "/"."""
    from webkit import Dispatcher
    saved = []
    routes = Dispatcher()
    routes.connect('save', '/', lambda req: saved.append(req.method) or 'saved',
                   methods=('GET', 'POST'))
    protected = CSRFProtection(routes, SECRET)
    req = Request.blank('/app', method='POST', POST={'x': '1'})
    req.script_name, req.path_info = '/app', ''
    assert req.get_response(protected).status_int == 403 and saved == []



# -- hardening found in review --------------------------------------------------

def test_csrf_token_sent_as_a_file_is_refused_not_a_500(app, calls):
    from webtest import Upload
    token = app.get('/').form['csrf_token'].value
    app.post('/', {'email': 'ada@example.org', 'password': 'long enough',
                   'csrf_token': Upload('token.txt', token.encode())}, status=403)
    assert calls == []


@pytest.mark.parametrize('method', ['PURGE', 'PROPPATCH', 'post'])
def test_csrf_checks_every_method_that_is_not_safe(method):
    done = []
    client = TestApp(CSRFProtection(wsgify(lambda req: done.append(req.method)), SECRET),
                     lint=False)  # WebTest's lint refuses methods it does not know
    client.get('/')
    client.request('/', method=method, status=403)
    assert done == ['GET']


def test_csrf_and_session_cookies_cannot_be_planted_over_https():
    # A "__Host-" cookie is only accepted from HTTPS and never from a
    # sibling domain, so an attacker cannot toss in a pair of their own.
    @wsgify
    def app(req):
        session(req)['seen'] = True
        return render_form('<form method="post"></form>', req=req)

    client = TestApp(Sessions(CSRFProtection(app, SECRET), SECRET))
    https = {'wsgi.url_scheme': 'https', 'HTTP_HOST': 'localhost:443'}
    cookies = client.get('/', extra_environ=https).headers.getall('Set-Cookie')
    assert sorted(c.split('=')[0] for c in cookies) == ['__Host-webkit_csrf',
                                                        '__Host-webkit_session']
    assert all('; secure' in c.lower() and 'Domain' not in c and 'Path=/' in c
               for c in cookies)
    form = client.get('/', extra_environ=https).form
    assert form.submit(extra_environ=https).status_int == 200


@pytest.mark.parametrize('order', ['right first', 'right last'])
def test_csrf_token_sent_twice_is_refused(app, calls, order):
    token = app.get('/').form['csrf_token'].value
    tokens = [token, 'forged'] if order == 'right first' else ['forged', token]
    app.post('/', [('email', 'ada@example.org'), ('password', 'long enough')]
             + [('csrf_token', t) for t in tokens], status=403)
    assert calls == []


def test_csrf_is_not_skipped_for_a_path_rewritten_by_middleware():
    # Middleware between the check and the routes may change the path (or
    # the method): "no route takes it" must not mean "let it through".
    from webkit import Dispatcher
    done = []
    routes = Dispatcher()
    routes.connect('save', '/save', lambda req: done.append('saved') or 'saved',
                   methods=['POST'])

    @wsgify.middleware
    def mount(req, app):
        req.path_info_pop()  # /app/save -> /save
        return app

    client = TestApp(CSRFProtection(mount(routes), SECRET))
    client.post('/app/save', status=403)
    assert done == []


def test_csrf_reads_the_token_of_a_form_whose_media_type_is_upper_case():
    @wsgify
    def app(req):
        return 'saved' if req.method == 'POST' else render_form(
            '<form method="post"></form>', req=req)

    client = TestApp(CSRFProtection(app, SECRET))
    token = client.get('/').form['csrf_token'].value
    res = client.post('/', f'csrf_token={token}',
                      content_type='APPLICATION/X-WWW-FORM-URLENCODED')
    assert res.text == 'saved'


# -- checked after routing, refusals the application may answer -----------------

def test_csrf_token_without_the_layer_says_what_to_wrap():
    from webkit.exc import MissingLayerError
    with pytest.raises(MissingLayerError) as info:
        csrf_token(Request.blank('/'))
    assert info.value.layer == 'CSRFProtection'
    assert 'webkit.CSRFProtection(app, secret)' in str(info.value)


def test_csrf_on_refusal_answers_with_the_route_known():
    from webob import exc

    from webkit import Dispatcher
    from webkit.csrf import CSRFRefused

    class Editor:
        routes = Dispatcher()
        routes.connect('edit', '/{title}', 'edit')
        routes.connect('save', '/{title}', 'save', methods=('POST',))

        def edit(self, req, title, text=''):
            return render_form(f'<form method="post"><textarea name="text"></textarea></form>',
                               {'text': text}, req=req)

        def save(self, req, title):
            raise AssertionError('a refused request never reaches the handler')

        def refused(self, req, refusal):
            assert isinstance(refusal, CSRFRefused) and isinstance(refusal, exc.HTTPForbidden)
            seen.append(refusal.cross_site)
            req.response.status = 403
            return f'{req.urlvars["title"]}: ' + self.edit(req, **req.urlvars,
                                                          text=req.POST['text'])

        __call__ = routes

    seen = []
    editor = Editor()
    client = TestApp(CSRFProtection(editor, SECRET, on_refusal=editor.refused))
    page = client.post('/Home', {'text': 'typed <b>text</b>'}, status=403)
    assert page.text.startswith('Home: ') and 'typed &lt;b&gt;text&lt;/b&gt;' in page.text
    assert 'webkit_csrf=' in page.headers['Set-Cookie']   # a fresh token came with it
    assert page.headers['Cache-Control'] == 'private, no-store'
    client.post('/Home', {'text': 'x'}, status=403)
    client.post('/Home', {'text': 'x'}, headers={'Origin': 'https://evil.example'}, status=403)
    assert seen == [False, False, True]
    assert repr(CSRFRefused('why', cross_site=True)) == "CSRFRefused('why', cross_site=True)"


def test_csrf_pages_carrying_the_token_are_private_and_uncacheable():
    client = TestApp(CSRFProtection(wsgify(lambda req: render_form(
        '<form method="post"></form>', req=req)), SECRET))
    first = client.get('/')
    assert first.headers['Cache-Control'] == 'private, no-store'
    assert 'Cookie' in first.headers['Vary']
    plain = TestApp(CSRFProtection(wsgify(lambda req: 'no form'), SECRET)).get('/')
    assert 'Cache-Control' not in plain.headers and 'Set-Cookie' not in plain.headers


# -- the headers of a page carrying the token, as WebOb's setters made them ---------

@pytest.mark.parametrize('headers', [
    [],
    [('Vary', 'Accept-Encoding')],
    [('Vary', 'Cookie')],
    [('vary', 'accept, cookie')],
    [('Vary', 'Accept, Cookie , Origin')],
    [('Vary', '')],
    [('Vary', ' , ')],
    [('Vary', ''), ('Vary', 'Accept')],
    [('Vary', 'Accept'), ('X-Other', '1'), ('VARY', 'Cookie')],
    [('Cache-Control', 'max-age=60'), ('Vary', '*')],
    [('Vary', 'Accept-Encoding'), ('X-Other', '1'), ('Vary', 'Origin')],
])
@pytest.mark.parametrize('cache_control_used', [False, True])
def test_csrf_page_varies_on_cookie_keeping_every_vary(headers, cache_control_used):
    from webob import Response

    from webkit.csrf import _private

    def names(headerlist):
        return [part.strip().lower() for name, value in headerlist if name.lower() == 'vary'
                for part in value.split(',') if part.strip()]

    now = Response('x')
    now.headerlist.extend(headers)
    if cache_control_used:
        now.cache_control.max_age = 5                   # WebOb's setter failed after this
    _private(now)
    # One Vary, naming what every Vary named (WebOb's setter keeps the
    # first only) and Cookie, in any case (RFC 9110 5.1), unless "*".
    given = names(headers)
    vary = [(n, v) for n, v in now.headerlist if n.lower() == 'vary']
    if 'cookie' in given or '*' in given:  # nothing to add: left as they were
        assert vary == [(n, v) for n, v in headers if n.lower() == 'vary']
    else:
        assert len(vary) == 1 and names(vary) == [*given, 'cookie']
    kept = [(n, v) for n, v in Response('x').headerlist + headers
            if n.lower() not in ('vary', 'cache-control')]
    assert [(n, v) for n, v in now.headerlist if n.lower() not in ('vary', 'cache-control')] == kept
    assert now.cache_control.private and now.cache_control.no_store
    assert now.cache_control.max_age is None


def test_csrf_page_whose_handler_set_cache_control_is_still_private():
    @wsgify
    def app(req):
        req.response.cache_control.max_age = 60         # a public page, it thinks
        return render_form('<form method="post"></form>', req=req)

    res = TestApp(CSRFProtection(app, SECRET)).get('/')
    assert res.headers['Cache-Control'] == 'private, no-store'
    assert res.headers['Vary'] == 'Cookie' and 'webkit_csrf=' in res.headers['Set-Cookie']


def test_csrf_cookie_keeps_its_name_when_an_inner_layer_changes_the_scheme():
    @wsgify
    def app(req):
        req.environ['wsgi.url_scheme'] = 'https'
        return csrf_token(req)

    client = TestApp(CSRFProtection(app, SECRET))
    first = client.get('/')
    assert first.headers['Set-Cookie'].startswith('webkit_csrf=')
    again = client.get('/')                             # read back under the same name
    assert again.text == first.text and 'Set-Cookie' not in again.headers


def test_form_field_without_the_layer_is_none():
    from webkit.csrf import form_field
    assert form_field(Request.blank('/')) is None


@pytest.mark.parametrize('header', ['X-CSRF-Token', 'x-csrftoken', 'X_Token', 'Content-Type',
                                    'content-length', 'Origin'])
def test_the_token_header_is_looked_up_where_webob_keeps_it(header):
    from webob.headers import EnvironHeaders

    from webkit.csrf import _environ_key
    environ = {}
    EnvironHeaders(environ)[header] = 'value'
    assert list(environ) == [_environ_key(header)]


@pytest.mark.parametrize('set_first', [
    [], [('Vary', 'Cookie')], [('Vary', 'Accept')], [('vary', 'cookie')], [('Vary', '*')],
    [('X-Other', '1'), ('Vary', 'Cookie, Accept')], [('Vary', 'Cookie'), ('X-Other', '1')],
])
def test_a_fresh_response_varies_as_webobs_does(set_first):
    # A page carrying the token (CSRF) whose handler read the session (Sessions,
    # outside CSRF): webkit's response keeps the headers as values throughout.
    import webob

    from webkit import Response
    from webkit._cookies import vary_on_cookie
    from webkit.csrf import _private

    sent = []
    for cls in (Response, webob.Response):
        resp = cls('x')
        for name, value in set_first:
            resp.headers[name] = value
        _private(resp)
        vary_on_cookie(resp)
        resp(webob.Request.blank('/').environ, lambda status, headers: sent.append(headers))
    assert sent[0] == sent[1]
