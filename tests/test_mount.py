"""Mounting WSGI applications under a route prefix: webkit.mount."""
import bottle
import flask
import pytest
import webob
from webob.static import FileApp
from webtest import TestApp

from examples.hello.app import make_app as make_hello
from webkit import ConfigurationError, CSRFProtection, Dispatcher
from webkit.__main__ import main

SECRET = 'x' * 40


def where(environ, start_response):
    """A plain WSGI application that tells what it received."""
    start_response('200 OK', [('Content-Type', 'text/plain; charset=UTF-8')])
    body = environ['wsgi.input'].read(int(environ.get('CONTENT_LENGTH') or 0))
    return [f"{environ['REQUEST_METHOD']} {environ['SCRIPT_NAME']!r} "
            f"{environ['PATH_INFO']!r} {body!r}".encode()]


def make_flask():
    inner = flask.Flask('mounted')

    @inner.route('/')
    def index():
        return f"flask {flask.url_for('item', id=3)}"

    @inner.route('/items/<int:id>', methods=['GET', 'DELETE'])
    def item(id):
        return f'{flask.request.method} item {id} under {flask.request.script_root}'
    return inner


def make_bottle():
    inner = bottle.Bottle()

    @inner.route('/hello/<name>')
    def hello(name):
        return f'bottle {name} at {bottle.request.script_name}{bottle.request.path[1:]}'
    return inner


class Portal:
    """A webkit application with other applications mounted in it."""

    routes = Dispatcher()
    routes.connect('home', '/', 'home')
    routes.mount('hello', '/hello', make_hello(greeting='Hi'))
    routes.mount('flask', '/flask', make_flask())
    routes.mount('bottle', '/b/ottle', make_bottle())
    routes.mount('raw', '/raw', where)
    routes.mount('café', '/café', where)

    def home(self, req):
        return ' '.join([req.link('hello'), req.link('hello', path_info='/greet/Ada'),
                         req.link('flask', path_info='/items/3')])

    __call__ = routes


application = Portal()


@pytest.fixture
def app():
    return TestApp(application)


def test_mount_shifts_script_name_and_path_info(app):
    assert app.get('/raw/a/b?x=1').text == "GET '/raw' '/a/b' b''"


def test_mount_point_itself_has_empty_path_info(app):
    assert app.get('/raw').text == "GET '/raw' '' b''"
    assert app.get('/raw/').text == "GET '/raw' '/' b''"


def test_mount_prefix_is_whole_segments(app):
    app.get('/rawx/a', status=404)
    app.get('/ra', status=404)


def test_mount_under_an_outer_script_name(app):
    res = TestApp(application, extra_environ={'SCRIPT_NAME': '/site'}).get('/raw/x')
    assert res.text == "GET '/site/raw' '/x' b''"


def test_mount_non_ascii_prefix_and_path(app):
    # WSGI strings are the bytes as latin-1: the prefix moves as bytes.
    res = app.get('/caf%C3%A9/%C3%BC')
    raw_prefix = '/café'.encode().decode('latin-1')
    raw_rest = '/ü'.encode().decode('latin-1')
    assert res.text == f"GET {raw_prefix!r} {raw_rest!r} b''"


@pytest.mark.parametrize('method', ['POST', 'PUT', 'DELETE', 'PATCH', 'BREW'])
def test_mount_passes_every_method_and_the_body(method):
    res = TestApp(application, lint=False).request('/raw/x', method=method, body=b'payload')
    assert res.text == f"{method} '/raw' '/x' b'payload'"


def test_mount_webkit_app_links_carry_the_prefix(app):
    res = app.get('/hello/')
    assert 'href="/hello/greet/Ada%20Lovelace"' in res.text
    assert app.get('/hello/greet/Ada%20Lovelace').text == 'Hi, Ada Lovelace!'


def test_mount_webkit_app_answers_its_own_404_and_405(app):
    app.get('/hello/nothing', status=404)
    res = app.delete('/hello/', status=405)
    assert res.headers['Allow'] == 'GET, HEAD, OPTIONS'


def test_mount_outer_links_to_mounted_paths(app):
    assert app.get('/').text == '/hello /hello/greet/Ada /flask/items/3'


def test_mount_flask_application(app):
    assert app.get('/flask/').text == 'flask /flask/items/3'
    assert app.get('/flask/items/3').text == 'GET item 3 under /flask'
    assert app.delete('/flask/items/3').text == 'DELETE item 3 under /flask'
    app.get('/flask/items/x', status=404)
    app.post('/flask/items/3', status=405)


def test_mount_bottle_application(app):
    assert app.get('/b/ottle/hello/Ada').text == 'bottle Ada at /b/ottle/hello/Ada'


def test_mount_head_reaches_mounted_app(app):
    res = app.head('/flask/items/3')
    assert res.status_int == 200 and res.body == b''


def test_mount_outer_environ_unchanged():
    seen = {}

    def outer(environ, start_response):
        body = application(environ, start_response)
        seen['paths'] = environ['SCRIPT_NAME'], environ['PATH_INFO']
        return body
    assert TestApp(outer).get('/raw/x').text == "GET '/raw' '/x' b''"
    assert seen['paths'] == ('', '/raw/x')


def test_mount_inner_attributes_stay_inner():
    def set_attribute(req):
        req.seen_by = 'inner'  # WebOb keeps it in environ['webob.adhoc_attrs']
        return 'set'
    inner = Dispatcher()
    inner.connect('set', '/', view=set_attribute)
    outer = Dispatcher()
    outer.mount('inner', '/inner', inner)
    environ = {'webob.adhoc_attrs': {'seen_by': 'outer'}}
    assert TestApp(outer, extra_environ=environ).get('/inner/').text == 'set'
    assert environ['webob.adhoc_attrs'] == {'seen_by': 'outer'}


def test_mount_csrf_checked_before_the_mounted_app():
    protected = TestApp(CSRFProtection(application, SECRET))
    res = protected.post('/raw/x', {'a': '1'}, status=403)
    assert b'payload' not in res.body
    protected.get('/raw/x', status=200)


def test_mount_route_table_shows_the_mount():
    rows = [line.split(None, 3) for line in str(Portal.routes).splitlines()]
    assert ['flask', '*', '/flask{path_info:(?:/.*)?}', "Mount(<Flask 'mounted'>)"] in rows


def test_mount_routes_command(capsys):
    assert main(['routes', 'tests.test_mount:application']) == 0
    rows = [line.split(None, 3) for line in capsys.readouterr().out.splitlines()]
    assert ['raw', '*', '/raw{path_info:(?:/.*)?}'] in [row[:3] for row in rows]
    assert any(row[3].startswith('Mount(<function where') for row in rows)


def test_mount_options_star_lists_no_wildcard(app):
    from webob import Request
    req = Request.blank('/', method='OPTIONS')
    req.environ['PATH_INFO'] = '*'
    resp = req.get_response(application)
    assert '*' not in resp.headers['Allow'] and 'GET' in resp.headers['Allow']


@pytest.mark.parametrize('prefix', ['', '/', 'raw', '/raw/', '/a//b', '/{x}', None])
def test_mount_refuses_bad_prefix(prefix):
    with pytest.raises(ConfigurationError) as info:
        Dispatcher().mount('m', prefix, where)
    assert info.value.what == "route 'm'"


def test_mount_refuses_non_application():
    with pytest.raises(ConfigurationError) as info:
        Dispatcher().mount('m', '/m', 'examples.hello.app:application')
    assert 'not a WSGI application' in info.value.problem


def test_mount_link_needs_no_path_info():
    routes = Dispatcher()
    routes.mount('m', '/m', where)
    assert routes.url('m') == '/m'
    assert routes.url('m', path_info='/a b') == '/m/a%20b'


def test_mount_a_plain_application_sees_no_link_of_the_outer_one():
    # Its requests have no dispatcher of their own: the outer one's links,
    # under the mounted prefix, would be wrong ones.
    from webkit import Request

    def plain(environ, start_response):
        start_response('200 OK', [('Content-Type', 'text/plain')])
        return [repr(Request(environ).link).encode()]

    outer = Dispatcher()
    outer.connect('home', '/', view=lambda req: repr(req.link))
    outer.mount('plain', '/plain', plain)
    assert TestApp(outer).get('/plain/x').text == 'None'
    assert TestApp(outer).get('/').text == "<link for GET '/'>"


def test_link_of_a_request_is_its_own_dispatchers_whatever_another_routes():
    # An inner dispatcher answering the same environ with a request of its
    # own class must not change the outer request's links.
    from webkit import Request

    class Other(Request):
        pass

    inner = Dispatcher(RequestClass=Other)
    inner.connect('widget', '/w', view=lambda req: 'inner ' + req.link('widget'))

    def page(req):
        sub = req.get_response(inner)
        return f'{sub.text} | {req.link("page")}'

    outer = Dispatcher()
    outer.connect('page', '/w', view=page)
    assert TestApp(outer).get('/w').text == 'inner /w | /w'


def test_mount_lint_checks_the_mount_point():
    from webkit.lint import check_app
    outer = Dispatcher()
    outer.connect('home', '/', view=lambda req: 'home')
    outer.mount('hello', '/hello', make_hello())
    sent = []

    def spy(environ, start_response):
        sent.append(environ['PATH_INFO'])
        return outer(environ, start_response)
    spy.routes = outer
    assert check_app(spy) == []  # no "no-sample" warning for path_info
    assert '/hello' in sent


def test_mount_route_takes_any_method():
    route = Dispatcher().mount('m', '/m', where)
    assert repr(route.methods) == 'ANY_METHOD'
    assert 'BREW' in route.methods and repr(route) == "<Route 'm' * /m{path_info:(?:/.*)?} -> " \
        'Mount(<function where at ' + hex(id(where)) + '>)>'


def test_mount_both_examples_under_one_site(tmp_path):
    """The wiki and the questioner, each a whole application with its own
    sessions and CSRF, mounted side by side: links, forms and redirects
    carry each one's prefix."""
    from examples.questioner.app import Questioner
    from examples.wiki.app import WikiApp
    site = Dispatcher()
    site.mount('wiki', '/wiki', WikiApp(tmp_path / 'wiki', secret='s' * 40))
    site.mount('signup', '/signup', Questioner(tmp_path / 'signup', secret='t' * 40))
    client = TestApp(site)

    form = client.get('/wiki/Home/edit').forms['edit']
    assert form.action == '/wiki/Home/edit'
    form['text'] = 'Welcome to [[Other Page]].'
    saved = form.submit('save', status=303)
    assert saved.location.endswith('/wiki/Home')
    page = saved.follow()
    assert 'href="/wiki/Other%20Page"' in page.text
    assert 'href="/wiki/-/static/wiki.css?v=' in page.text

    signup = client.get('/signup/')
    assert signup.form.action == '/signup/'
    assert client.get('/signup/thanks').status_int == 200
    client.get('/elsewhere', status=404)


@pytest.mark.parametrize('script_name', ['/', '/site/'])
def test_mount_under_a_script_name_ending_in_a_slash_makes_no_double_slash(script_name):
    # "/" + "/raw" as the mounted application's SCRIPT_NAME: its links would
    # start with "//raw", a URL of another host.
    res = webob.Request.blank('/raw/x', environ={'SCRIPT_NAME': script_name}).get_response(
        application)
    assert res.text == f"GET {script_name.rstrip('/') + '/raw'!r} '/x' b''"


def test_mount_a_webob_file_app_ignores_a_date_it_cannot_read(tmp_path):
    # WebOb's FileApp fails on a year past Python's: the mounted copy of
    # the environ is cleaned as the guard cleans its own.
    (tmp_path / 'f.txt').write_bytes(b'data')
    site = Dispatcher()
    site.mount('file', '/file', FileApp(str(tmp_path / 'f.txt')))
    for header, status, body in [('If-Modified-Since', 206, b'da'),  # the Range stands
                                 ('If-Range', 200, b'data')]:  # matches nothing: all of it
        res = TestApp(site).get('/file', headers={header: 'Mon, 01 Jan 99999 00:00:00 GMT',
                                                  'Range': 'bytes=0-1'})
        assert (res.status_int, res.body) == (status, body)
