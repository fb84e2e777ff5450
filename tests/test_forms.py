"""Form filling, validation, the JSON variant, CSRF and sessions, end to end."""
import json
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

    assert validate(check, {'a': '1'}) == ({'a': '1'}, {})
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


def test_load_secret_waits_for_a_secret_being_written(tmp_path):
    import threading
    from webkit.csrf import load_secret
    path = tmp_path / 'secret'
    path.write_text('')                       # created, not yet written
    writer = threading.Timer(0.1, path.write_text, args=('w' * 40,))
    writer.start()
    assert load_secret(path) == 'w' * 40
    writer.join()


def test_load_secret_refuses_an_empty_file_for_good(tmp_path):
    from webkit.csrf import load_secret
    (tmp_path / 'secret').write_text('  \n')
    with pytest.raises(ConfigurationError) as info:
        load_secret(tmp_path / 'secret')
    assert info.value.problem == 'the secret file is empty'


def test_csrf_lets_unrouted_methods_reach_the_apps_405():
    from webkit import Dispatcher
    routes = Dispatcher()
    routes.connect('page', '/page', lambda req: 'page')
    client = TestApp(CSRFProtection(routes, SECRET))
    res = client.delete('/page', status=405)
    assert res.headers['Allow'] == 'GET, HEAD, OPTIONS'
    client.post('/nowhere', status=404)
