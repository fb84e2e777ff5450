"""Method override for HTML forms: webkit.override.MethodOverride."""
import pytest
from webtest import TestApp, Upload

from webkit import CSRFProtection, Dispatcher, MethodOverride, Request, csrf_token
from webkit.override import ORIGINAL_METHOD

SECRET = 'x' * 40


class Notes:
    routes = Dispatcher()
    routes.connect('form', '/', 'form')
    routes.connect('note', '/notes/{id}', 'show', methods=('GET', 'PUT', 'PATCH', 'DELETE'))
    routes.connect('comments', '/comments', 'comment', methods=('GET', 'POST'))

    def form(self, req):
        return csrf_token(req)

    def show(self, req, id):
        return f'{req.method} {id} {req.environ.get(ORIGINAL_METHOD)}'

    def comment(self, req):
        return f'{req.method} comments'

    __call__ = routes


@pytest.fixture
def app():
    return TestApp(MethodOverride(Notes()))


@pytest.mark.parametrize('asked, method', [
    ('PUT', 'PUT'), ('PATCH', 'PATCH'), ('DELETE', 'DELETE'), ('delete', 'DELETE')])
def test_override_turns_form_post_into(app, asked, method):
    assert app.post('/notes/1', {'_method': asked}).text == f'{method} 1 POST'


def test_override_multipart_form(app):
    res = app.post('/notes/1', {'_method': 'PUT'},
                   upload_files=[('file', 'a.txt', b'hello')])
    assert res.text == 'PUT 1 POST'


def test_override_get_with_method_is_ignored(app):
    assert app.get('/notes/1?_method=DELETE').text == 'GET 1 None'


def test_override_query_string_is_ignored(app):
    assert app.post('/comments?_method=DELETE', {'text': 'hi'}).text == 'POST comments'


def test_override_json_body_is_ignored(app):
    res = app.post_json('/comments', {'_method': 'DELETE'})
    assert res.text == 'POST comments'


def test_override_post_without_field_stays_post(app):
    assert app.post('/comments', {'text': 'hi'}).text == 'POST comments'


@pytest.mark.parametrize('fields', [
    [('_method', 'GET')], [('_method', 'HEAD')], [('_method', 'OPTIONS')],
    [('_method', 'CONNECT')], [('_method', 'BREW')], [('_method', '')],
    [('_method', 'PUT'), ('_method', 'DELETE')], [('_method', 'PUT'), ('_method', 'PUT')]])
def test_override_refuses_other_methods(app, fields):
    app.post('/notes/1', fields, status=400)


def test_override_405_lists_the_real_methods(app):
    res = app.post('/comments', {'_method': 'DELETE'}, status=405)
    assert res.headers['Allow'] == 'GET, HEAD, POST, OPTIONS'


def test_override_unknown_path_is_404(app):
    app.post('/nowhere', {'_method': 'DELETE'}, status=404)


@pytest.mark.parametrize('make', [
    lambda app: CSRFProtection(MethodOverride(app), SECRET),
    lambda app: MethodOverride(CSRFProtection(app, SECRET))], ids=['csrf-outside', 'inside'])
def test_override_csrf_still_checked(make):
    app = TestApp(make(Notes()))
    app.post('/notes/1', {'_method': 'DELETE'}, status=403)
    token = app.get('/').text
    res = app.post('/notes/1', {'_method': 'DELETE', 'csrf_token': token})
    assert res.text == 'DELETE 1 POST'
    res = app.post('/notes/1', {'_method': 'DELETE', 'csrf_token': token},
                   headers={'Origin': 'https://evil.example'}, status=403)


def test_override_reads_the_body_with_the_inner_limit():
    class Big(Request):
        max_body_size = 4 * 1024 * 1024

    class Uploads(Notes):
        routes = Dispatcher(RequestClass=Big)
        routes.connect('note', '/notes/{id}', 'show', methods=('PUT',))
        __call__ = routes

    app = TestApp(MethodOverride(Uploads()))
    body = {'_method': 'PUT', 'text': 'x' * (2 * 1024 * 1024)}
    assert app.post('/notes/1', body).text == 'PUT 1 POST'
    app.post('/notes/1', {'_method': 'PUT', 'text': 'x' * (5 * 1024 * 1024)}, status=413)


def test_override_default_limit_without_a_dispatcher():
    def plain(environ, start_response):
        start_response('200 OK', [('Content-Type', 'text/plain; charset=UTF-8')])
        return [environ['REQUEST_METHOD'].encode()]
    app = TestApp(MethodOverride(plain))
    assert app.post('/', {'_method': 'PATCH'}).text == 'PATCH'
    app.post('/', {'_method': 'PATCH', 'x': 'x' * (2 * 1024 * 1024)}, status=413)


def test_override_repr():
    assert repr(MethodOverride(Notes.routes)) == 'MethodOverride(<Dispatcher on Notes with 3 routes>)'


def test_override_method_sent_as_a_file_is_refused(app):
    app.post('/notes/1', {'_method': Upload('m.txt', b'DELETE')}, content_type='multipart/form-data',
             status=400)
