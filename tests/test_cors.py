"""CORS: webkit.cors.CORS."""
import pytest
from webtest import TestApp

from webkit import CORS, ConfigurationError, CSRFProtection, Dispatcher

APP = 'https://app.example'
EVIL = 'https://evil.example'


class Api:
    routes = Dispatcher()
    routes.connect('items', '/items', 'list_items')
    routes.connect('add_item', '/items', 'add_item', methods=('POST',))
    routes.connect('item', '/items/{id}', 'show_item', methods=('GET', 'DELETE', 'PUT'))
    routes.connect('ping', '/ping', 'ping', methods=('POST',))

    def list_items(self, req):
        req.response.etag = 'v1'
        return '[]'

    def add_item(self, req):
        return 'added'

    def show_item(self, req, id):
        return f'{req.method} {id}'

    def ping(self, req):
        return 'pong'

    __call__ = routes


def preflight(app, path, method, origin=APP, headers=None, status=None):
    sent = {'Origin': origin, 'Access-Control-Request-Method': method}
    if headers is not None:
        sent['Access-Control-Request-Headers'] = headers
    return app.options(path, headers=sent, status=status)


@pytest.fixture
def app():
    return TestApp(CORS(Api(), [APP, 'http://localhost:8080'], expose_headers=['ETag'],
                        max_age=300))


def test_cors_preflight_lists_the_methods_of_the_path(app):
    res = preflight(app, '/items/7', 'DELETE', status=204)
    assert res.headers['Access-Control-Allow-Origin'] == APP
    assert res.headers['Access-Control-Allow-Methods'] == 'GET, HEAD, PUT, DELETE, OPTIONS'
    assert res.headers['Access-Control-Max-Age'] == '300'
    assert 'Origin' in res.headers['Vary']
    assert res.body == b''


def test_cors_preflight_path_with_routes_for_several_methods(app):
    # GET and POST come from two different routes of the same path.
    res = preflight(app, '/items', 'POST', status=204)
    assert res.headers['Access-Control-Allow-Methods'] == 'GET, HEAD, POST, OPTIONS'


def test_cors_preflight_for_a_method_the_path_lacks_gets_no_cors(app):
    res = preflight(app, '/ping', 'DELETE', status=200)
    assert 'Access-Control-Allow-Origin' not in res.headers
    assert res.headers['Allow'] == 'POST, OPTIONS'


def test_cors_preflight_for_unknown_path_is_404_without_cors(app):
    res = preflight(app, '/nothing', 'GET', status=404)
    assert 'Access-Control-Allow-Origin' not in res.headers


@pytest.mark.parametrize('origin', [EVIL, 'null', 'https://app.example.evil.example',
                                    'http://app.example', 'https://app.example:444',
                                    'HTTPS://APP.EXAMPLE', 'https://app.example/'])
def test_cors_refused_origin_gets_no_cors_headers(app, origin):
    res = preflight(app, '/items', 'POST', origin=origin, status=200)
    assert not [name for name in res.headers if name.startswith('Access-Control-')]
    res = app.get('/items', headers={'Origin': origin})
    assert not [name for name in res.headers if name.startswith('Access-Control-')]
    assert 'Origin' in res.headers['Vary']


def test_cors_preflight_headers_must_be_allowed(app):
    res = preflight(app, '/items', 'POST', headers='Content-Type', status=204)
    assert res.headers['Access-Control-Allow-Headers'] == 'Content-Type'
    res = preflight(app, '/items', 'POST', headers='content-type, X-Secret', status=200)
    assert 'Access-Control-Allow-Origin' not in res.headers


def test_cors_simple_request_gets_origin_and_exposed_headers(app):
    res = app.get('/items', headers={'Origin': APP})
    assert res.headers['Access-Control-Allow-Origin'] == APP
    assert res.headers['Access-Control-Expose-Headers'] == 'ETag'
    assert 'Access-Control-Allow-Credentials' not in res.headers
    assert res.headers['Vary'] == 'Origin'


def test_cors_request_without_origin_still_varies(app):
    res = app.get('/items')
    assert res.headers['Vary'] == 'Origin'
    assert 'Access-Control-Allow-Origin' not in res.headers


def test_cors_port_is_part_of_the_origin(app):
    res = app.get('/items', headers={'Origin': 'http://localhost:8080'})
    assert res.headers['Access-Control-Allow-Origin'] == 'http://localhost:8080'


def test_cors_credentials():
    app = TestApp(CORS(Api(), [APP], credentials=True))
    res = preflight(app, '/items', 'POST', status=204)
    assert res.headers['Access-Control-Allow-Credentials'] == 'true'
    assert res.headers['Access-Control-Allow-Origin'] == APP
    res = app.get('/items', headers={'Origin': APP})
    assert res.headers['Access-Control-Allow-Credentials'] == 'true'
    res = app.get('/items', headers={'Origin': EVIL})
    assert 'Access-Control-Allow-Credentials' not in res.headers


def test_cors_any_origin_without_credentials():
    app = TestApp(CORS(Api(), '*'))
    res = app.get('/items', headers={'Origin': EVIL})
    assert res.headers['Access-Control-Allow-Origin'] == '*'
    res = preflight(app, '/items/1', 'PUT', origin=EVIL, status=204)
    assert res.headers['Access-Control-Allow-Origin'] == '*'


def test_cors_any_origin_with_credentials_is_refused():
    with pytest.raises(ConfigurationError) as info:
        CORS(Api(), '*', credentials=True)
    assert info.value.what == 'CORS'


def test_cors_per_route():
    app = TestApp(CORS(Api(), [APP], routes=['add_item', 'ping']))
    res = preflight(app, '/items', 'POST', status=204)
    assert res.headers['Access-Control-Allow-Methods'] == 'POST, OPTIONS'
    assert app.post('/items', headers={'Origin': APP}).headers[
        'Access-Control-Allow-Origin'] == APP
    res = app.get('/items', headers={'Origin': APP})
    assert 'Access-Control-Allow-Origin' not in res.headers and 'Vary' not in res.headers
    res = preflight(app, '/items/1', 'DELETE', status=200)
    assert 'Access-Control-Allow-Origin' not in res.headers
    res = app.get('/nothing', headers={'Origin': APP}, status=404)
    assert 'Access-Control-Allow-Origin' not in res.headers


@pytest.mark.parametrize('settings', [
    {'origins': 'https://app.example'}, {'origins': ['https://app.example/']},
    {'origins': ['app.example']}, {'origins': ['https://APP.example']},
    {'origins': ['https://app.example:443']}, {'origins': ['ftp://app.example']},
    {'origins': [None]}, {'origins': [APP], 'max_age': -1},
    {'origins': [APP], 'max_age': '60'}, {'origins': [APP], 'expose_headers': ['X\r\nY']},
    {'origins': [APP], 'allow_headers': 'Content-Type'}, {'origins': [APP], 'routes': ['nope']},
])
def test_cors_refuses_bad_configuration(settings):
    with pytest.raises(ConfigurationError) as info:
        CORS(Api(), **settings)
    assert info.value.what == 'CORS'


def test_cors_needs_a_route_table():
    def plain(environ, start_response):
        start_response('200 OK', [])
        return []
    with pytest.raises(ConfigurationError):
        CORS(plain, [APP])


def test_cors_through_middleware_and_csrf():
    # CSRF refuses the cross-site POST; the refusal still carries CORS headers,
    # so the calling page can read why.
    app = TestApp(CORS(CSRFProtection(Api(), 'x' * 40), [APP]))
    res = app.post('/ping', headers={'Origin': APP}, status=403)
    assert res.headers['Access-Control-Allow-Origin'] == APP
    res = preflight(app, '/ping', 'POST', status=204)
    assert res.headers['Access-Control-Allow-Methods'] == 'POST, OPTIONS'


def test_cors_mounted_application_preflight_from_its_allow():
    outer = Dispatcher()
    outer.mount('api', '/api', Api())
    app = TestApp(CORS(outer, [APP]))
    res = preflight(app, '/api/items', 'POST', status=204)
    assert res.headers['Access-Control-Allow-Methods'] == 'GET, HEAD, POST, OPTIONS'
    res = preflight(app, '/api/ping', 'GET', status=200)
    assert 'Access-Control-Allow-Origin' not in res.headers
    res = preflight(app, '/api/nothing', 'GET', status=404)
    assert 'Access-Control-Allow-Origin' not in res.headers
    assert app.post('/api/ping', headers={'Origin': APP}).headers[
        'Access-Control-Allow-Origin'] == APP


def test_cors_mount_out_of_scope():
    outer = Dispatcher()
    outer.mount('api', '/api', Api())
    outer.connect('home', '/', view=lambda req: 'home')
    app = TestApp(CORS(outer, [APP], routes=['home']))
    res = preflight(app, '/api/items', 'POST', status=200)
    assert 'Access-Control-Allow-Origin' not in res.headers


def test_cors_repr():
    assert repr(CORS(Api(), '*')).endswith(", '*')")
