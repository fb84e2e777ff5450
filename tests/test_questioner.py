"""The questioner, through WebTest and through a real server and browser."""
import json
import sqlite3
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from webtest import TestApp

from examples.questioner.app import Questioner, make_app
from examples.questioner.questions import Question
from tests.conftest import free_port

XSS = ['"><script>alert(1)</script>', '</textarea><script>alert(1)</script>',
       '<img src=x onerror=alert(1)>']


@pytest.fixture
def data_dir(tmp_path):
    return tmp_path / 'data'


@pytest.fixture
def app(data_dir):
    return TestApp(make_app(data_dir=str(data_dir)))


def rows(data_dir, query='SELECT username FROM registrations ORDER BY id'):
    with sqlite3.connect(data_dir / 'registrations.sqlite3') as db:
        return db.execute(query).fetchall()


def fill(form, **overrides):
    values = {'username': 'ada', 'password': 'analytical', 'password_confirm': 'analytical',
              'name': 'Ada', 'quest': 'Engines', 'color': 'blue', **overrides}
    for key, value in values.items():
        form[key] = value
    return form


def test_questioner_get_renders_every_question_and_writes_nothing(app, data_dir):
    res = app.get('/')
    assert [f for f in res.form.fields if f] == [
        'csrf_token', 'username', 'password', 'password_confirm', 'name', 'quest', 'color']
    assert 'What is your favourite colour?' in res.text
    assert rows(data_dir) == []


def test_questioner_valid_registration_redirects_to_thanks(app, data_dir):
    res = fill(app.get('/').form).submit(status=303)
    assert res.location == 'http://localhost/thanks'
    assert 'Thank you!' in res.follow().text
    assert rows(data_dir) == [('ada',)]
    assert rows(data_dir, 'SELECT question, answer FROM answers ORDER BY question') == [
        ('color', 'blue'), ('name', 'Ada'), ('quest', 'Engines')]


def test_questioner_thanks_link_honours_the_mount_point(data_dir):
    app = TestApp(make_app(data_dir=str(data_dir)), extra_environ={'SCRIPT_NAME': '/join'})
    res = fill(app.get('/').form).submit(status=303)
    assert res.location == 'http://localhost/join/thanks'


@pytest.mark.parametrize('overrides, field, message', [
    ({'username': ''}, 'username', 'Please enter a value'),
    ({'username': 'ab'}, 'username', 'Use 3 to 30 letters'),
    ({'username': 'a b'}, 'username', 'Use 3 to 30 letters'),
    ({'username': 'x' * 31}, 'username', 'Use 3 to 30 letters'),
    ({'password': 'short', 'password_confirm': 'short'}, 'password', '8 characters'),
    ({'password_confirm': 'different!'}, 'password_confirm', 'The passwords do not match'),
    ({'quest': ''}, 'quest', 'Please answer this question'),
    ({'quest': 'q' * 201}, 'quest', 'Enter a value not more than 200 characters long'),
    ({'color': ''}, 'color', 'Please choose one'),
])
def test_questioner_each_invalid_field_is_refilled_with_its_error(app, data_dir, overrides,
                                                                   field, message):
    form = fill(app.get('/').form, **overrides)
    res = form.submit()
    assert res.status_int == 200
    error = res.html.find(id=f'q-{field}' if field in ('quest', 'color') else field)
    # Password fields too: the style keys on aria-invalid, which they get as well.
    assert error['aria-invalid'] == 'true'
    assert message in res.html.find(id=error['aria-describedby']).text
    assert error.find_previous('span', class_='error-message')['id'] == f'{field}-error'
    assert '<!--' not in res.text
    assert res.form['password'].value == '' and res.form['password_confirm'].value == ''
    if field != 'username':
        assert res.form['username'].value == form['username'].value
    assert rows(data_dir) == []


def test_questioner_refuses_a_choice_that_was_not_offered(app, data_dir):
    form = fill(app.get('/').form)
    form['color'].force_value('mauve')
    assert 'error-message' in form.submit().text
    assert rows(data_dir) == []


def test_questioner_duplicate_username_is_taken(app, data_dir):
    fill(app.get('/').form).submit(status=303)
    res = fill(app.get('/').form, username='ADA').submit()
    assert 'That username is already taken' in res.text
    assert rows(data_dir) == [('ada',)]


@pytest.mark.parametrize('payload', XSS)
def test_questioner_xss_payloads_come_back_escaped(app, payload):
    res = fill(app.get('/').form, username=payload, quest=payload, name=payload).submit()
    body = res.text
    assert 'alert(1)</script>' not in body and '<img' not in body


def test_questioner_extra_fields_are_ignored(app, data_dir):
    form = fill(app.get('/').form)
    res = app.post('/', {**dict(form.submit_fields()), 'is_admin': '1'}, status=303)
    assert res.status_int == 303
    assert rows(data_dir, 'SELECT question FROM answers ORDER BY question') == [
        ('color',), ('name',), ('quest',)]


@pytest.mark.parametrize('token', [None, 'wrong'])
def test_questioner_csrf_missing_or_wrong_is_403(app, data_dir, token):
    fields = dict(fill(app.get('/').form).submit_fields())
    if token is None:
        del fields['csrf_token']
    else:
        fields['csrf_token'] = token
    app.post('/', fields, status=403)
    assert rows(data_dir) == []


@pytest.mark.parametrize('lose', ['cookie', 'token'])
def test_questioner_expired_form_comes_back_filled_with_a_fresh_token(app, data_dir, lose):
    form = fill(app.get('/').form, name='Ada <Lovelace>')
    if lose == 'cookie':
        app.reset()       # the cookie expired, or the browser was restarted
    else:
        form['csrf_token'] = ''
    res = form.submit(status=403)
    assert 'This form had expired, so nothing was saved yet' in res.text
    assert res.html.find(id='form-error').text.startswith('This form had expired')
    kept = {name: res.form[name].value for name in ('username', 'name', 'quest', 'color')}
    assert kept == {'username': 'ada', 'name': 'Ada <Lovelace>', 'quest': 'Engines',
                    'color': 'blue'}
    assert res.form['password'].value == '' and res.form['password_confirm'].value == ''
    assert 'analytical' not in res.text
    assert res.form['csrf_token'].value
    if lose == 'cookie':  # a new token, and the cookie that goes with it
        assert res.form['csrf_token'].value != form['csrf_token'].value
        assert 'webkit_csrf=' in res.headers['Set-Cookie']
    assert rows(data_dir) == []
    res.form['password'] = res.form['password_confirm'] = 'analytical'
    res.form.submit(status=303)
    assert rows(data_dir) == [('ada',)]


def test_questioner_cross_site_post_is_refused_without_prefilling(app, data_dir):
    fields = dict(fill(app.get('/').form).submit_fields())
    res = app.post('/', fields, headers={'Origin': 'https://evil.example'}, status=403)
    assert res.html.find('h1').text == 'Forbidden'
    assert res.html.find('form') is None and 'ada' not in res.text
    assert rows(data_dir) == []


def test_questioner_form_media_type_ignores_case(app, data_dir):
    fields = dict(fill(app.get('/').form).submit_fields())
    body = urllib.parse.urlencode(fields)
    app.post('/', body, content_type='APPLICATION/X-WWW-FORM-URLENCODED; charset=UTF-8',
             status=303)
    assert rows(data_dir) == [('ada',)]


SECURITY = {'X-Frame-Options': 'DENY', 'X-Content-Type-Options': 'nosniff',
            'Referrer-Policy': 'same-origin'}


@pytest.mark.parametrize('method, path, status', [
    ('GET', '/', 200), ('GET', '/thanks', 200), ('GET', '/-/health', 200),
    ('HEAD', '/', 200), ('OPTIONS', '/', 200), ('GET', '/nowhere', 404),
    ('DELETE', '/', 405), ('POST', '/', 403),
])
def test_questioner_every_answer_has_the_security_headers(app, method, path, status):
    res = app.request(path, method=method, status=status, expect_errors=True)
    assert {name: res.headers.get(name) for name in SECURITY} == SECURITY
    policy = res.headers['Content-Security-Policy']
    assert "frame-ancestors 'none'" in policy and "default-src 'self'" in policy
    assert 'unsafe' not in policy


def test_questioner_style_is_a_static_file_the_policy_allows(app):
    res = app.get('/')
    assert res.html.find('style') is None
    assert res.html.find(style=True) is None  # an inline style= would be blocked
    href = res.html.find('link', rel='stylesheet')['href']
    assert "style-src 'self'" in res.headers['Content-Security-Policy']
    css = app.get(href)
    assert css.content_type == 'text/css'
    assert 'box-sizing: border-box' in css.text and '[aria-invalid=true]' in css.text
    assert css.headers['Cache-Control'] == 'public, max-age=31536000, immutable'


@pytest.mark.parametrize('method, path, status, title', [
    ('GET', '/nowhere', 404, 'Page not found'),
    ('GET', '/thanks/', 404, 'Page not found'),
    ('DELETE', '/', 405, 'Method not allowed'),
    ('PUT', '/thanks', 405, 'Method not allowed'),
])
def test_questioner_error_pages_are_in_the_layout(app, method, path, status, title):
    res = app.request(path, method=method, status=status, expect_errors=True)
    assert res.content_type == 'text/html'
    assert res.html.find('h1').text == title
    assert res.html.find('header').a['href'] == '/'
    assert res.html.find('link', rel='stylesheet') is not None
    assert 'Set-Cookie' not in res.headers
    if status == 405:
        assert 'GET' in res.headers['Allow'] and 'OPTIONS' in res.headers['Allow']


def test_questioner_error_pages_follow_the_mount_point(data_dir):
    app = TestApp(make_app(data_dir=str(data_dir)), extra_environ={'SCRIPT_NAME': '/join'})
    res = app.get('/nowhere', status=404)
    assert {a['href'] for a in res.html.find_all('a')} == {'/join/'}


def test_questioner_oversized_and_unsupported_bodies_are_pages_in_the_layout(app, data_dir):
    token = app.get('/').form['csrf_token'].value
    res = app.post('/', {'csrf_token': token, 'username': 'x' * (2 * 1024 * 1024)},
                   status=413)
    assert res.html.find('h1').text == 'Too large'
    res = app.post('/', 'hello', content_type='text/plain',
                   headers={'X-CSRF-Token': token}, status=415)
    assert res.html.find('h1').text == 'Unsupported content'
    assert rows(data_dir) == []


@pytest.mark.parametrize('method, path, body, status', [
    ('GET', '/nowhere', None, 404),
    ('DELETE', '/', None, 405),
    ('POST', '/', 'hello', 415),
])
def test_questioner_json_clients_get_json_errors(app, method, path, body, status):
    token = app.get('/').form['csrf_token'].value
    res = app.request(path, method=method, body=(body or '').encode(), status=status,
                      headers={'Accept': 'application/json', 'X-CSRF-Token': token,
                               **({'Content-Type': 'text/plain'} if body else {})},
                      expect_errors=True)
    assert res.content_type == 'application/json'
    assert res.json['status'] == 'error' and res.json['errors'][0]['name'] == 'request'


def test_questioner_unexpected_error_is_a_500_in_the_layout_and_logged(app, caplog,
                                                                         monkeypatch):
    from examples.questioner.storage import SQLiteStore

    def broken(*args):
        raise RuntimeError('the disk is on fire')

    monkeypatch.setattr(SQLiteStore, 'add', broken)
    form = fill(app.get('/').form)
    with caplog.at_level('ERROR', logger='webkit'):
        res = form.submit(status=500)
    assert res.html.find('h1').text == 'Something went wrong'
    assert 'on fire' not in res.text
    assert 'the disk is on fire' in caplog.text and 'Traceback' in caplog.text
    assert res.headers['X-Frame-Options'] == 'DENY'


def test_questioner_health_answers_ok_and_sets_no_cookie(app):
    for headers in ({}, {'Cookie': 'webkit_csrf=stale'}):
        res = app.get('/-/health', headers=headers)
        assert (res.status_int, res.content_type, res.text) == (200, 'text/plain', 'ok')
        assert 'Set-Cookie' not in res.headers and 'Vary' not in res.headers
    assert app.head('/-/health').headers['Content-Length'] == '2'


def test_questioner_json_client_gets_201_or_structured_400(app, data_dir):
    good = {'username': 'grace', 'password': 'cobol1959', 'password_confirm': 'cobol1959',
            'name': 'Grace', 'quest': 'Compilers', 'color': 'red', 'is_admin': True}
    res = app.post_json('/', good, status=201)
    assert res.json == {'username': 'grace'}
    assert res.location == 'http://localhost/thanks'
    res = app.post_json('/', {**good, 'username': 'Grace'}, status=400)
    assert res.json['errors'] == [{'location': 'body', 'name': 'username',
                                   'description': 'That username is already taken'}]
    res = app.post_json('/', {'username': 'x'}, status=400)
    assert {e['name'] for e in res.json['errors']} == {
        'username', 'password', 'password_confirm', 'name', 'quest', 'color'}
    app.post_json('/', ['not', 'an', 'object'], status=400)
    app.post('/', '{broken', content_type='application/json', status=400)
    assert rows(data_dir) == [('grace',)]


def test_questioner_form_post_asking_for_json_gets_json_errors(app):
    fields = dict(fill(app.get('/').form, username='').submit_fields())
    res = app.post('/', fields, headers={'Accept': 'application/json'}, status=400)
    assert res.json['errors'][0]['name'] == 'username'


def test_questioner_oversized_body_is_413(app, data_dir):
    app.post('/', {'username': 'x' * (2 * 1024 * 1024)}, status=413)
    assert rows(data_dir) == []


def test_questioner_questions_come_from_a_file(tmp_path, data_dir):
    questions = tmp_path / 'questions.json'
    questions.write_text(json.dumps([{'name': 'pet', 'label': 'Your <pet>?'}]))
    app = TestApp(make_app(data_dir=str(data_dir), questions_file=str(questions)))
    res = app.get('/')
    assert 'Your &lt;pet&gt;?' in res.text
    assert 'pet' in res.form.fields and 'color' not in res.form.fields


def test_questioner_secret_is_made_once_and_private(data_dir):
    make_app(data_dir=str(data_dir))
    first = (data_dir / 'secret').read_text()
    make_app(data_dir=str(data_dir))
    assert (data_dir / 'secret').read_text() == first and len(first) >= 32
    assert (data_dir / 'secret').stat().st_mode & 0o777 == 0o600


def test_questioner_repr_and_optional_questions(data_dir):
    app = Questioner(data_dir, [Question('nick', 'Nickname', required=False)])
    assert repr(app) == f"Questioner(SQLiteStore({str(data_dir)!r}), 1 questions)"


def test_questioner_served_alone_is_protected(data_dir):
    app = TestApp(Questioner(data_dir, secret='s' * 40))
    app.post('/', {'username': 'ada'}, status=403)
    assert not (data_dir / 'secret').exists()   # the secret given is used
    assert rows(data_dir) == []


def test_questioner_race_of_one_username_through_a_real_server(live_server, data_dir):
    """Eight threads register the same name at once: one wins, no 5xx, no duplicate."""
    base = live_server(make_app(data_dir=str(data_dir)), threads=8)
    barrier = threading.Barrier(8)
    statuses = []

    def register(i):
        body = json.dumps({'username': 'racer', 'password': f'password{i}',
                           'password_confirm': f'password{i}', 'name': 'R', 'quest': 'Q',
                           'color': 'red'}).encode()
        request = urllib.request.Request(base + '/', body,
                                         {'Content-Type': 'application/json'})
        barrier.wait(timeout=10)
        try:
            with urllib.request.urlopen(request, timeout=30) as res:
                statuses.append(res.status)
        except urllib.error.HTTPError as error:
            statuses.append(error.code)

    threads = [threading.Thread(target=register, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(statuses) == [201] + [400] * 7
    assert rows(data_dir) == [('racer',)]


def test_questioner_command_line_serves(server_process, data_dir):
    port = free_port()
    server_process([sys.executable, '-m', 'examples.questioner', '--port', str(port),
                    '--data', str(data_dir)], port)
    with urllib.request.urlopen(f'http://127.0.0.1:{port}/', timeout=10) as res:
        assert b'What is your quest?' in res.read()
    assert (data_dir / 'registrations.sqlite3').exists()


# -- hardening found in review --------------------------------------------------

GOOD_JSON = {'username': 'grace', 'password': 'cobol1959', 'password_confirm': 'cobol1959',
             'name': 'Grace', 'quest': 'Compilers', 'color': 'red'}
SHIPPED_QUESTIONS = str(Path(__file__).parent.parent / 'examples' / 'questioner' /
                        'questions.json')


def test_questioner_json_client_may_leave_out_optional_questions(data_dir):
    app = TestApp(make_app(data_dir=str(data_dir), questions_file=SHIPPED_QUESTIONS))
    app.post_json('/', GOOD_JSON, status=201)   # "swallow" is optional
    assert rows(data_dir, 'SELECT answer FROM answers WHERE question = "swallow"') == [('',)]


@pytest.mark.parametrize('content_type', ['text/xml', 'text/plain', 'application/x-json'])
def test_questioner_other_body_types_are_415_and_store_nothing(app, data_dir, content_type):
    token = app.get('/').form['csrf_token'].value
    app.post('/', json.dumps(GOOD_JSON), content_type=content_type,
             headers={'X-CSRF-Token': token}, status=415)
    assert rows(data_dir) == []


@pytest.mark.parametrize('body', ['{"username": "a", "username": "grace"}',
                                  '[' * 50_000 + ']' * 50_000, '{"name": "\\udc80"}'])
def test_questioner_json_that_cannot_be_stored_is_400(app, data_dir, body):
    app.post('/', body, content_type='application/json', status=400)
    assert rows(data_dir) == []


@pytest.mark.parametrize('reload', [False, True])
def test_questioner_folder_runs_when_copied_elsewhere(server_process, tmp_path, reload):
    """Copied and renamed, with only webkit importable, it serves (and reloads)."""
    import shutil
    source = Path(__file__).parent.parent / 'examples' / 'questioner'
    shutil.copytree(source, tmp_path / 'site' / 'signup',
                    ignore=shutil.ignore_patterns('__pycache__'))
    (tmp_path / 'lib').mkdir()
    (tmp_path / 'lib' / 'webkit').symlink_to(Path(__file__).parent.parent / 'webkit')
    port = free_port()
    argv = [sys.executable, '-m', 'signup', '--port', str(port), '--data', 'data',
            *(['--reload'] if reload else [])]
    server_process(argv, port, cwd=tmp_path / 'site',
                   extra_env={'PYTHONPATH': str(tmp_path / 'lib')})
    with urllib.request.urlopen(f'http://127.0.0.1:{port}/', timeout=10) as res:
        assert b'What is your quest?' in res.read()
    assert (tmp_path / 'site' / 'data' / 'registrations.sqlite3').exists()
    if reload:  # a template edit restarts it (templates are compiled once)
        import time
        time.sleep(1.1)  # a modification time the poller tells apart
        layout = tmp_path / 'site' / 'signup' / 'templates' / 'layout.html'
        layout.write_text(layout.read_text().replace('</body>', '<p>What is your aim?</p></body>'))
        deadline, body = time.monotonic() + 20, b''
        while b'What is your aim?' not in body and time.monotonic() < deadline:
            time.sleep(0.2)
            try:
                with urllib.request.urlopen(f'http://127.0.0.1:{port}/', timeout=5) as res:
                    body = res.read()
            except OSError:  # restarting
                pass
        assert b'What is your aim?' in body


def test_questioner_command_line_reports_bad_questions_clearly(tmp_path):
    import subprocess
    questions = tmp_path / 'questions.json'
    questions.write_text('[{"name": "form", "label": "x"}]')
    done = subprocess.run([sys.executable, '-m', 'examples.questioner', '--data',
                           str(tmp_path / 'data'), '--questions', str(questions)],
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 2
    assert done.stderr.splitlines()[-1].endswith("question 'form': the name is reserved")
    assert 'Traceback' not in done.stderr


def test_questioner_json_sent_as_text_plain_needs_the_token(app, data_dir):
    # The classic bypass of "JSON-only" CSRF exemptions: a cross-site form
    # may post text/plain, whose body can look like JSON.
    app.get('/')
    app.post('/', json.dumps(GOOD_JSON), content_type='text/plain', status=403)
    app.post('/', json.dumps(GOOD_JSON), content_type='text/plain; a=b',
             headers={'Origin': 'null'}, status=403)
    assert rows(data_dir) == []


@pytest.mark.parametrize('url, message', [
    ('mysql://db.example/users', "expected postgresql://... (or nothing, for SQLite"),
    ('ftp://user:s3cret@db.example/', "not 'ftp://...'"),
])
def test_questioner_command_line_refuses_a_database_url_it_cannot_use(tmp_path, url, message):
    import subprocess
    done = subprocess.run([sys.executable, '-m', 'examples.questioner', '--data',
                           str(tmp_path / 'data'), '--database-url', url],
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 2
    assert message in done.stderr.splitlines()[-1]
    assert 'Traceback' not in done.stderr and 's3cret' not in done.stderr


def test_questioner_empty_database_url_means_sqlite_in_the_data_folder(data_dir):
    app = make_app(data_dir=str(data_dir), database_url='')   # as an empty ini setting gives
    TestApp(app).post_json('/', GOOD_JSON, status=201)
    assert rows(data_dir) == [('grace',)]
