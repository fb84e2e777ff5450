"""Form filling, validation, the JSON variant, CSRF and sessions, end to end."""
import json
import os
import time
from pathlib import Path

import pytest
from formencode import ForEach, Schema, validators
from webob import exc
from webob.multidict import MultiDict
from webtest import TestApp

from webkit import (ConfigurationError, CSRFProtection, Request, Sessions, csrf_token,
                    flash, pop_flashes, session, wsgify)
from webkit.forms import (FORM_ERROR, flatten_errors, json_body, json_errors, negotiate,
                          render_form, validate, wants_json)
from webkit.sessions import SessionTooLarge

SECRET = 'test-secret-' * 4
XSS = ['"><script>alert(1)</script>', '</textarea><script>alert(1)</script>',
       '<img src=x onerror=alert(1)>']
GOLDEN = sorted((Path(__file__).parent / 'data' / 'forms').glob('*.txt'))


class Signup(Schema):
    email = validators.Email(not_empty=True)
    password = validators.UnicodeString(min=8, not_empty=True)
    tags = ForEach(validators.UnicodeString())


PAGE = '''<form method="post" action="/">
<input name="email"><input type="password" name="password">
<textarea name="bio"></textarea>
<input type="checkbox" name="tags" value="a"><input type="checkbox" name="tags" value="b">
</form>'''


def make_app(calls):
    @wsgify
    def signup(req):
        if req.method == 'POST':
            values, errors = validate(Signup, req.POST)
            if not errors:
                calls.append(values)
                flash(req, 'Welcome!')
                return exc.HTTPSeeOther(location='/')
            if wants_json(req):
                return json_errors(errors)
            return render_form(PAGE, req.POST, errors, req=req)
        return ' '.join(pop_flashes(req)) + render_form(PAGE, req=req)

    return TestApp(Sessions(CSRFProtection(signup, SECRET), SECRET))


@pytest.fixture
def calls():
    return []


@pytest.fixture
def app(calls):
    return make_app(calls)


# -- render_form ----------------------------------------------------------------

@pytest.mark.parametrize('path', GOLDEN, ids=[p.stem for p in GOLDEN])
def test_render_form_golden_files(path):
    source, expected, namespace = path.read_text(encoding='utf-8').split('----\n')
    options = eval(namespace, {'MultiDict': MultiDict})  # test data we wrote ourselves
    assert render_form(source, **options) == expected


@pytest.mark.parametrize('payload', XSS)
def test_render_form_escapes_values_and_messages(payload):
    page = render_form(PAGE, {'email': payload, 'bio': payload}, {'email': payload})
    assert '<script' not in page and '<img' not in page


def test_render_form_never_echoes_passwords():
    assert 'hunter2' not in render_form(PAGE, {'password': 'hunter2'})


def test_render_form_keeps_every_checked_box_of_a_multidict():
    page = render_form(PAGE, MultiDict([('tags', 'a'), ('tags', 'b')]))
    assert page.count('checked="checked"') == 2


def test_render_form_places_orphan_errors_at_the_marker_or_form_start():
    marked = render_form('<p><form:error name="form"></p><form><input name="a"></form>',
                         {}, {'ghost': 'Something went wrong'})
    assert marked.startswith('<p><span class="error-message">Something went wrong')
    unmarked = render_form('<h1>x</h1><form><input name="a"></form>', {}, {'ghost': 'Oops'})
    assert unmarked.startswith('<h1>x</h1><form><span class="error-message">Oops')
    bare = render_form('<input name="a">', {}, {'ghost': 'Oops'})
    assert bare.startswith('<span class="error-message">Oops')


def test_render_form_refuses_the_unescaped_formatter():
    with pytest.raises(KeyError):
        render_form('<form:error name="a" format="none"><input name="a">', {}, {'a': '<b>'})


def test_render_form_fills_only_the_named_form():
    page = ('<form><input name="q" data-formencode-form="a"></form>'
            '<form><input name="q" data-formencode-form="b"></form>')
    filled = render_form(page, {'q': 'x'}, form='a')
    assert filled.count('value="x"') == 1


def test_render_form_accepts_bytes_as_utf8():
    assert render_form('<input name="q">'.encode(), {'q': 'é'}) == '<input name="q" value="é">'


# -- validate -----------------------------------------------------------------------

def test_validate_drops_fields_the_schema_does_not_know():
    values, errors = validate(Signup, {'email': 'a@example.org', 'password': 'longenough',
                                       'is_admin': '1'})
    assert errors == {} and 'is_admin' not in values


def test_validate_refuses_a_repeated_single_field():
    params = MultiDict([('email', 'a@example.org'), ('email', 'b@example.org'),
                        ('password', 'longenough')])
    values, errors = validate(Signup, params)
    assert values == {} and errors == {'email': 'Please give this field only once'}


def test_validate_takes_lists_where_the_schema_does():
    params = MultiDict([('email', 'a@example.org'), ('password', 'longenough'),
                        ('tags', 'x'), ('tags', 'y')])
    assert validate(Signup(), params)[0]['tags'] == ['x', 'y']


def test_validate_runs_plain_functions():
    def check(params):
        return {} if params.get('a') == '1' else {'a': 'Say 1'}

    assert validate(check, {'a': '1', 'is_admin': '1'}) == ({'a': '1'}, {})
    assert validate(check, MultiDict(a='2'))[1] == {'a': 'Say 1'}
    assert validate(lambda params: ({'n': 1}, {}), {}) == ({'n': 1}, {})


def test_validate_flattens_form_level_and_nested_errors():
    class Pair(Schema):
        a = validators.Int()
        b = validators.Int()
        chained_validators = [validators.FieldsMatch('a', 'b')]

    assert validate(Pair, {'a': '1', 'b': '2'})[1] == {'b': 'Fields do not match'}
    assert flatten_errors({'x': {'y': 'bad'}, 'l': [None, 'no']}) == \
        {'x.y': 'bad', 'l.1': 'no'}
    assert flatten_errors('whole form') == {FORM_ERROR: 'whole form'}


# -- the application round trip -------------------------------------------------

def test_form_refill_keeps_values_and_csrf_token_but_not_password(app, calls):
    form = app.get('/').form
    form['email'] = 'not-an-email'
    form['password'] = 'short'
    res = form.submit()
    assert res.status_int == 200 and calls == []
    assert res.form['email'].value == 'not-an-email'
    assert res.form['password'].value == ''
    assert res.form['csrf_token'].value == form['csrf_token'].value
    res.form['email'] = 'ada@example.org'
    res.form['password'] = 'long enough'
    assert res.form.submit().status_int == 303
    assert calls[0]['email'] == 'ada@example.org'


def test_form_flash_survives_exactly_one_redirect(app):
    form = app.get('/').form
    form['email'] = 'ada@example.org'
    form['password'] = 'long enough'
    page = form.submit().follow()
    assert page.text.startswith('Welcome!')
    assert not app.get('/').text.startswith('Welcome!')


@pytest.mark.parametrize('payload', XSS)
def test_form_xss_payloads_come_back_escaped(app, payload):
    form = app.get('/').form
    form['email'] = payload
    form['bio'] = payload
    res = form.submit()
    assert '<script>' not in res.text and '<img' not in res.text


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


# -- the JSON variant -------------------------------------------------------------

def test_json_client_gets_structured_400(app, calls):
    token = app.get('/').form['csrf_token'].value
    res = app.post('/', {'email': 'nope', 'password': 'x', 'csrf_token': token},
                   headers={'Accept': 'application/json'}, status=400)
    assert res.json == {'status': 'error', 'errors': [
        {'location': 'body', 'name': 'email',
         'description': 'An email address must contain a single @'},
        {'location': 'body', 'name': 'password',
         'description': 'Enter a value 8 characters long or more'}]}
    assert calls == []


@pytest.mark.parametrize('headers, expected', [
    ({}, False),
    ({'Accept': 'text/html'}, False),
    ({'Accept': 'application/json'}, True),
    ({'Accept': 'text/html;q=0.5, application/json'}, True),
    ({'Content-Type': 'application/json'}, True),
])
def test_wants_json(headers, expected):
    assert wants_json(Request.blank('/', headers=headers)) is expected


def test_negotiate_answers_406_when_nothing_fits():
    @wsgify
    def report(req):
        return negotiate(req, ['text/csv', 'application/json'])

    app = TestApp(report)
    assert app.get('/', headers={'Accept': 'text/csv'}).text == 'text/csv'
    assert app.get('/', headers={'Accept': 'image/png'}, status=406).status_int == 406


def test_json_body_answers_415_and_400():
    @wsgify
    def api(req):
        return json.dumps(json_body(req))

    app = TestApp(api)
    assert json.loads(app.post_json('/', {'a': 1}).text) == {'a': 1}
    app.post('/', 'a=1', status=415)
    app.post('/', '{bad', content_type='application/json', status=400)


# -- sessions ---------------------------------------------------------------------

def test_session_tampered_cookie_gives_an_empty_session():
    @wsgify
    def count(req):
        data = session(req)
        data['n'] = data.get('n', 0) + 1
        return str(data['n'])

    app = TestApp(Sessions(count, SECRET))
    assert [app.get('/').text for _ in range(3)] == ['1', '2', '3']
    value = app.cookies['webkit_session']
    app.set_cookie('webkit_session', value[:-4] + 'AAAA')
    assert app.get('/').text == '1'


def test_session_cookie_is_sent_only_when_changed_and_removed_when_empty():
    @wsgify
    def toggle(req):
        data = session(req)
        if 'clear' in req.GET:
            data.clear()
        elif 'set' in req.GET:
            data['x'] = 1
        return ''

    app = TestApp(Sessions(toggle, SECRET))
    assert 'Set-Cookie' not in app.get('/').headers
    assert 'HttpOnly' in app.get('/?set').headers['Set-Cookie']
    assert 'Set-Cookie' not in app.get('/').headers
    assert 'Max-Age=0' in app.get('/?clear').headers['Set-Cookie']


def test_session_too_large_is_refused(caplog):
    @wsgify
    def hoard(req):
        session(req)['blob'] = 'x' * 5000

    app = TestApp(Sessions(hoard, SECRET))
    app.get('/', status=500)
    assert 'SessionTooLarge' in caplog.text
    assert str(SessionTooLarge(5100)).startswith('the session is 5100 bytes')


def test_session_outside_the_middleware_says_what_to_do():
    with pytest.raises(LookupError):
        session(Request.blank('/'))
    assert repr(Sessions(wsgify(lambda req: ''), SECRET)).startswith('Sessions(wsgify(')


def test_json_errors_shape_and_status():
    res = json_errors({'b': 'second', 'a': 'first'}, status=422)
    assert res.status_int == 422
    assert [e['name'] for e in res.json['errors']] == ['a', 'b']


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

def csrf_request(**environ):
    return Request.blank('/', environ={'webkit.csrf_token': 'TOKEN',
                                       'webkit.csrf_field': 'csrf_token', **environ})


@pytest.mark.parametrize('form, expected', [
    ('<form method="post">', True),
    ('<form method=POST action="/save">', True),
    ("<form method='post' action='save?x=1'>", True),
    ('<form method="post" action="http://localhost/save">', True),
    ('<form method="post" action="https://evil.example/steal">', False),
    ('<form method="post" action="//evil.example/steal">', False),
    ('<form method="post" action="/\\evil.example/steal">', False),
    ('<form method="post" action="/&#9;/evil.example/steal">', False),
    ('<form method="post" action=" HTTPS://evil.example">', False),
    ('<form method="post" action=https://evil.example>', False),
    ('<form method="post" action="https://localhost/save">', False),  # another origin
    ('<form data-method="post" method="get">', False),
    ('<form method="get">', False),
])
def test_render_form_gives_the_token_only_to_forms_posting_here(form, expected):
    filled = render_form(form + '<input name="q"></form>', req=csrf_request())
    assert ('value="TOKEN"' in filled) is expected


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


def test_validate_function_values_hold_only_the_fields_it_read():
    def check(params):
        errors = {}
        if 'email' not in params:
            errors['email'] = 'Required'
        if len(params.getall('tags')) > 2:
            errors['tags'] = 'Two at most'
        params.getone('name')
        return errors

    params = MultiDict([('email', 'a@example.org'), ('name', 'Ada'), ('tags', 'x'),
                        ('tags', 'y'), ('is_admin', '1')])
    values, errors = validate(check, params)
    assert errors == {} and values == {'email': 'a@example.org', 'name': 'Ada',
                                       'tags': ['x', 'y']}
    assert validate(lambda p: {'n': p['n']}, {'n': '1', 'x': '2'}) == ({'n': '1'}, {'n': '1'})
    assert validate(lambda p: {'t': p.getall('t')}, {'t': 'v'})[1] == {'t': ['v']}
    assert validate(lambda p: {'o': p.getone('o')}, {'o': 'v'}) == ({'o': 'v'}, {'o': 'v'})
    # A function that reads every field (deliberately) gets every field.
    assert validate(lambda p: {} if len(p) == 2 and all(p.values()) else {'n': 'x'},
                    {'a': '1', 'b': '2'}) == ({'a': '1', 'b': '2'}, {})


@pytest.mark.parametrize('body', [
    '[' * 100_000 + ']' * 100_000,           # deeper than Python's recursion limit
    '{"role": "user", "role": "admin"}',     # which one? neither
    '{"name": "\\ud800"}',                     # a lone surrogate: not text at all
    '{"n": NaN}', '[Infinity]',             # not JSON, though Python reads it
])
def test_json_body_refuses_what_json_cannot_mean_with_a_400(body):
    @wsgify
    def api(req):
        return json.dumps(json_body(req))

    res = TestApp(api).post('/', body.encode(), content_type='application/json', status=400)
    assert res.status_int == 400


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


def test_render_form_first_render_keeps_the_templates_own_values():
    page = ('<form method="post"><input type="hidden" name="next" value="/x">'
            '<input type="checkbox" name="s" value="y" checked="checked">'  # htmlfill drops
            '<select name="c"><option value="a">a</option><option value="b" selected>b</option>'
            '</select><input name="q" value="default"></form>')  # a bare `checked`
    first = render_form(page, req=csrf_request())
    assert 'value="/x"' in first and 'checked' in first and 'selected' in first
    assert 'value="default"' in first and 'value="TOKEN"' in first
    # A refill (defaults given, even empty) shows what was sent, and only that.
    refill = render_form(page, {}, req=csrf_request())
    assert 'value="/x"' not in refill and 'checked' not in refill
    assert 'value="TOKEN"' in refill


def _signed_session(value, salt='webkit.session'):
    """A session cookie value as the middleware signs it, made independently."""
    from webob.cookies import SignedSerializer
    return SignedSerializer(SECRET, salt).dumps(value).decode('ascii')


def test_session_with_max_age_refuses_a_cookie_kept_longer():
    @wsgify
    def visits(req):
        data = session(req)
        data['n'] = data.get('n', 0) + 1
        return str(data['n'])

    middleware = Sessions(visits, SECRET, max_age=3600)
    app = TestApp(middleware)
    assert [app.get('/').text for _ in range(2)] == ['1', '2']
    assert 'Max-Age=3600' in app.get('/').headers['Set-Cookie']
    now = int(time.time())
    for stored, expected in (({'at': now - 60, 'data': {'n': 41}}, '42'),
                             ({'at': now - 3601, 'data': {'n': 41}}, '1'),
                             ({'data': {'n': 41}}, '1'),
                             ({'at': 'soon', 'data': {'n': 41}}, '1')):
        app = TestApp(middleware)  # a client holding only this cookie
        app.set_cookie('webkit_session', _signed_session(stored))
        assert app.get('/').text == expected


def test_session_without_max_age_keeps_an_old_cookie():
    @wsgify
    def visits(req):
        data = session(req)
        data['n'] = data.get('n', 0) + 1
        return str(data['n'])

    for stored, expected in (({'at': 0, 'data': {'n': 6}}, '7'),
                             ({'at': 0, 'data': ['not', 'a', 'dict']}, '1')):
        app = TestApp(Sessions(visits, SECRET))
        app.set_cookie('webkit_session', _signed_session(stored))
        assert app.get('/').text == expected


def test_session_and_csrf_cookies_signed_with_another_secret_are_not_trusted():
    # Well-formed cookies, valid JSON inside, but signed with a secret that is
    # not ours (the attacker's own): the session is empty, the token refused.
    from webob.cookies import SignedSerializer
    other = 'attacker-secret-' * 3

    @wsgify
    def visits(req):
        data = session(req)
        data['n'] = data.get('n', 0) + 1
        return str(data['n'])

    forged = SignedSerializer(other, 'webkit.session').dumps(
        {'at': int(time.time()), 'data': {'n': 41}}).decode('ascii')
    client = TestApp(Sessions(visits, SECRET))
    client.set_cookie('webkit_session', forged)
    assert client.get('/').text == '1'
    client = TestApp(Sessions(visits, SECRET))
    client.set_cookie('webkit_session', _signed_session({'at': int(time.time()),
                                                         'data': {'n': 41}}))
    assert client.get('/').text == '42'  # the same cookie, signed by us, is kept

    calls = []
    client = make_app(calls)
    client.set_cookie('webkit_csrf',
                      SignedSerializer(other, 'webkit.csrf').dumps('planted').decode('ascii'))
    client.post('/', {'email': 'ada@example.org', 'password': 'long enough',
                      'csrf_token': 'planted'}, status=403)
    assert calls == []
