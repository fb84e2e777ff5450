"""The dispatcher: matching, HTTP semantics, URL generation, configuration."""
import functools
import pickle

import pytest
from webob import Response, exc
from webtest import TestApp

from webkit import (ConfigurationError, Controller, Dispatcher, HTTPMethodNotAllowed,
                    HTTPRouteNotFound, Request, URLGenerationError, wsgify)
from webkit.routecheck import check_routes


class Library:
    """A configured application with every kind of target."""

    routes = Dispatcher()
    routes.connect('index', '/', 'index')
    routes.connect('view', '/view/{item}', 'view')
    routes.connect('save', '/view/{item}', 'save', methods=['POST', 'PUT'])
    routes.connect('form', '/form', 'form')
    routes.connect('form_post', '/form', 'form_post', methods='POST')
    routes.connect('files', '/files/{path:.*}', 'files')
    routes.connect('number', '/n/{num:\\d+}', 'number')

    def __init__(self, name):
        self.name = name
        self.saved = []

    def index(self, req):
        return f'{self.name} index'

    def view(self, req, item):
        return f'{self.name} item {item}'

    def save(self, req, item):
        self.saved.append(item)
        return exc.HTTPSeeOther(location=req.link('view', item=item))

    @wsgify
    def form(self, req, errors=None):
        return f'form errors={errors}'

    def form_post(self, req):
        return self.form(req, {'name': 'required'})

    def files(self, req, path):
        return f'file {path}'

    def number(self, req, num):
        return f'number {num}'

    __call__ = routes


@pytest.fixture
def library():
    return Library('Lib')


@pytest.fixture
def app(library):
    return TestApp(library)


def test_dispatch_calls_method_of_configured_instance(app):
    assert app.get('/').text == 'Lib index'
    assert TestApp(Library('Other')).get('/').text == 'Other index'


def test_dispatch_passes_url_variables_as_arguments(app):
    assert app.get('/view/42').text == 'Lib item 42'


def test_dispatch_sets_urlvars_and_link(app):
    seen = {}

    def look(req, item):
        seen['urlvars'] = req.urlvars
        seen['link'] = req.link('look', item='x')
        seen['routing_args'] = req.environ['wsgiorg.routing_args']

    routes = Dispatcher()
    routes.connect('look', '/look/{item}', look)
    TestApp(routes).get('/look/7')
    assert seen['urlvars'] == {'item': '7'}
    assert seen['link'] == '/look/x'
    assert seen['routing_args'] == ((), {'item': '7'})


def test_dispatch_wsgify_method_is_called_with_extra_arguments(app):
    assert app.get('/form').text == 'form errors=None'
    assert app.post('/form').text == "form errors={'name': 'required'}"


class _Counted:
    """A decorator made of a class, as some libraries' are: the method is an object."""

    def __init__(self, func):
        self.func, self.calls = func, 0

    def __get__(self, instance, owner=None):
        return self if instance is None else functools.partial(self, instance)

    def __call__(self, *args, **kw):
        self.calls += 1
        return self.func(*args, **kw)


def test_dispatch_method_decorated_into_an_object_is_called_as_a_method():
    class Site:
        routes = Dispatcher()
        routes.connect('page', '/page/{name}', 'page')

        def __init__(self):
            self.title = 'site'

        @_Counted
        def page(self, req, name):
            return f'{self.title}: {name} at {req.path_info}'

        __call__ = routes

    assert TestApp(Site()).get('/page/a').text == 'site: a at /page/a'
    assert Site.page.calls == 1


def test_dispatch_post_route_shares_path_with_get_route(app, library):
    res = app.post('/view/abc', status=303)
    assert res.location == 'http://localhost/view/abc'
    assert library.saved == ['abc']


@pytest.mark.parametrize('path', ['/nothere', '/view', '/view/a/b', '/view/', '/n/abc'])
def test_dispatch_miss_is_404(app, path):
    res = app.get(path, status=404)
    assert '404 Not Found' in res.text


@pytest.mark.parametrize('method, path, allow', [
    ('DELETE', '/view/1', 'GET, HEAD, POST, PUT, OPTIONS'),
    ('POST', '/', 'GET, HEAD, OPTIONS'),
    ('PATCH', '/form', 'GET, HEAD, POST, OPTIONS'),
])
def test_dispatch_wrong_method_is_405_with_allow(app, method, path, allow):
    res = app.request(path, method=method, status=405)
    assert res.headers['Allow'] == allow


def test_dispatch_405_does_not_call_any_handler(app, library):
    app.delete('/view/1', status=405)
    assert library.saved == []


def test_dispatch_head_uses_get_route_without_body(app):
    res = app.head('/view/1')
    assert res.status_int == 200
    assert res.body == b''
    assert res.content_length == len('Lib item 1')


@pytest.mark.parametrize('path, allow', [
    ('/view/1', 'GET, HEAD, POST, PUT, OPTIONS'),
    ('/', 'GET, HEAD, OPTIONS'),
])
def test_dispatch_options_answers_allow(app, path, allow):
    res = app.options(path)
    assert res.status_int == 200
    assert res.headers['Allow'] == allow
    assert res.body == b''


def test_dispatch_options_on_missing_path_is_404(app):
    app.options('/nothere', status=404)


def test_dispatch_options_star_answers_for_the_whole_application(app):
    req = Request.blank('/', method='OPTIONS')
    req.path_info = '*'                      # what a server passes for "OPTIONS *"
    res = req.get_response(app.app)
    assert res.status_int == 200 and res.body == b''
    assert res.headers['Allow'] == 'GET, HEAD, POST, PUT, OPTIONS'
    req.method = 'GET'
    assert req.get_response(app.app).status_int == 404


def test_dispatch_explicit_options_route_wins():
    routes = Dispatcher()
    routes.connect('cors', '/api', lambda req: 'preflight', methods=['OPTIONS'])
    assert TestApp(routes).options('/api').text == 'preflight'


def test_dispatch_method_override_parameter_is_ignored(app, library):
    # Routes' _method override stays off: a POST remains a POST.
    app.post('/view/1?_method=DELETE', status=303)
    app.post('/?_method=GET', status=405)
    assert library.saved == ['1']


def test_dispatch_matches_decoded_non_ascii_path(app):
    assert app.get('/view/caf%C3%A9').text == 'Lib item café'


def test_dispatch_empty_path_under_a_mount_point_is_the_root(library):
    # A request for /prefix (no trailing slash) arrives with PATH_INFO ''.
    req = Request.blank('/')
    req.environ.update(SCRIPT_NAME='/prefix', PATH_INFO='')
    assert req.get_response(library).text == 'Lib index'


def test_dispatch_undecodable_path_is_400(app):
    app.get('/view/%FF', status=400)


def test_dispatch_wildcard_variable_keeps_slashes(app):
    assert app.get('/files/a/b/c.txt').text == 'file a/b/c.txt'


def test_dispatch_first_matching_route_wins():
    routes = Dispatcher()
    routes.connect('special', '/page/new', lambda req: 'new')
    routes.connect('page', '/page/{name}', lambda req, name: f'page {name}')
    app = TestApp(routes)
    assert app.get('/page/new').text == 'new'
    assert app.get('/page/other').text == 'page other'


def test_dispatch_route_order_is_kept_across_index_buckets():
    routes = Dispatcher()
    routes.connect('catchall', '/{name}/x', lambda req, name: 'catchall')
    routes.connect('literal', '/lit/x', lambda req: 'literal')
    assert TestApp(routes).get('/lit/x').text == 'catchall'


def test_dispatch_many_routes_all_reachable():
    routes = Dispatcher()
    for i in range(300):
        routes.connect(f'r{i}', f'/r{i}/view/{{item}}', lambda req, item, i=i: f'{i}:{item}')
    app = TestApp(routes)
    assert app.get('/r0/view/a').text == '0:a'
    assert app.get('/r299/view/b').text == '299:b'
    app.get('/r300/view/b', status=404)


def test_dispatch_connect_after_first_request_is_matched():
    routes = Dispatcher()
    routes.connect('a', '/a', lambda req: 'a')
    app = TestApp(routes)
    app.get('/a')
    routes.connect('b', '/b', lambda req: 'b')
    assert app.get('/b').text == 'b'


def test_dispatch_view_function_may_be_wsgified():
    @wsgify
    def hello(req, name):
        return Response(f'hello {name}')

    routes = Dispatcher()
    routes.connect('hello', '/hello/{name}', hello)
    assert TestApp(routes).get('/hello/you').text == 'hello you'


def test_dispatch_extra_defaults_are_passed_and_visible_in_urlvars():
    def show(req, page, format):
        return f'{page}.{format} {sorted(req.urlvars.items())}'

    routes = Dispatcher()
    routes.connect('show', '/show/{page}', show, format='html')
    assert TestApp(routes).get('/show/a').text == "a.html [('format', 'html'), ('page', 'a')]"


def test_dispatch_handler_exception_is_generic_500(caplog):
    def broken(req):
        raise RuntimeError('secret')

    routes = Dispatcher()
    routes.connect('broken', '/', broken)
    res = TestApp(routes).get('/', status=500)
    assert 'secret' not in res.text
    assert 'secret' in caplog.text


def test_dispatch_controller_target_gets_the_configured_app():
    class Show(Controller):
        def index(self):
            return f'app={self.app.name}'

    class App:
        routes = Dispatcher()
        routes.connect('show', '/', Show)
        name = 'configured'
        __call__ = routes

    assert TestApp(App()).get('/').text == 'app=configured'


def test_dispatch_subclass_override_is_called():
    class Child(Library):
        def index(self, req):
            return 'child index'

    assert TestApp(Child('c')).get('/').text == 'child index'


# -- match(): the pure part ------------------------------------------------

def test_match_returns_route_and_variables():
    route, urlvars = Library.routes.match('/view/3', 'GET')
    assert route.name == 'view'
    assert urlvars == {'item': '3'}


def test_match_miss_raises_route_not_found_with_data():
    with pytest.raises(HTTPRouteNotFound) as info:
        Library.routes.match('/missing', 'GET')
    assert (info.value.path, info.value.method) == ('/missing', 'GET')
    assert info.value.status_int == 404


def test_match_wrong_method_raises_with_allowed():
    with pytest.raises(HTTPMethodNotAllowed) as info:
        Library.routes.match('/', 'POST')
    assert info.value.allowed == ('GET', 'HEAD', 'OPTIONS')
    assert info.value.headers['Allow'] == 'GET, HEAD, OPTIONS'


def test_http_errors_have_reprs_with_their_data():
    assert repr(HTTPRouteNotFound('/x', 'GET')) == "HTTPRouteNotFound('/x', 'GET')"
    assert repr(HTTPMethodNotAllowed('/x', 'PUT', ['GET'])) == \
        "HTTPMethodNotAllowed('/x', 'PUT', ('GET',))"


def test_http_405_page_escapes_methods():
    page = HTTPMethodNotAllowed('/', 'X', ['<b>']).text
    assert '<b>' not in page and '&lt;b&gt;' in page


# -- URL generation ------------------------------------------------------------

@pytest.mark.parametrize('name, params, url', [
    ('index', {}, '/'),
    ('view', {'item': 'x'}, '/view/x'),
    ('view', {'item': 42}, '/view/42'),
    ('view', {'item': 'a b'}, '/view/a%20b'),
    ('view', {'item': 'café'}, '/view/caf%C3%A9'),
    ('view', {'item': '?#%'}, '/view/%3F%23%25'),
    ('view', {'item': 'x', 'page': 2, 'q': 'a&b'}, '/view/x?page=2&q=a%26b'),
    ('view', {'item': 'x', 'tag': ['a', 'b']}, '/view/x?tag=a&tag=b'),
    ('view', {'item': 'x', 'skip': None}, '/view/x'),
    ('files', {'path': 'a/b c'}, '/files/a/b%20c'),
    ('number', {'num': 7}, '/n/7'),
])
def test_url_generation(name, params, url):
    assert Library.routes.url(name, **params) == url


def test_url_round_trips_through_matching():
    app = TestApp(Library('L'))
    url = Library.routes.url('view', item='naïve/x'.replace('/', '-'))
    assert app.get(url).text == 'L item naïve-x'


@pytest.mark.parametrize('name, params, reason_part', [
    ('nothere', {}, "no route named 'nothere'; known: files, form"),
    ('view', {}, "missing 'item'"),
    ('view', {'item': ''}, 'item is empty'),
    ('view', {'item': 'a/b'}, 'item may not contain "/"'),
    ('number', {'num': 'abc'}, "num='abc' does not match"),
    ('view', {'item': '..'}, 'a "." or ".." segment'),
    ('view', {'item': '.'}, 'a "." or ".." segment'),
    ('files', {'path': 'a/../../admin'}, 'a "." or ".." segment'),
    ('files', {'path': './x'}, 'a "." or ".." segment'),
    ('view', {'item': b'x'}, 'bytes'),
])
def test_url_generation_errors_carry_name_and_params(name, params, reason_part):
    with pytest.raises(URLGenerationError) as info:
        Library.routes.url(name, **params)
    assert info.value.name == name
    assert info.value.params == params
    assert reason_part in info.value.reason


@pytest.mark.parametrize('path', ['/evil.example', '//evil.example', '/\\evil.example'])
def test_url_generation_never_makes_a_scheme_relative_url(path):
    # "//evil.example" in a Location header sends the browser to another site.
    routes = Dispatcher()
    routes.connect('any', '/{path:.*}', lambda req, path: path)
    with pytest.raises(URLGenerationError) as info:
        routes.url('any', path=path)
    assert info.value.params == {'path': path}
    assert routes.url('any', path='a//b') == '/a//b'


def test_link_to_an_unknown_route_raises_with_its_arguments():
    raised = []

    def where(req):
        try:
            req.link('nowhere', page=2)
        except URLGenerationError as error:
            raised.append(error)
        return ''

    routes = Dispatcher()
    routes.connect('where', '/where', where)
    TestApp(routes).get('/where')
    [error] = raised
    assert (error.name, error.params) == ('nowhere', {'page': 2})
    assert error.reason == "no route named 'nowhere'; known: where"


def test_url_generation_error_is_lookup_error_and_pickles():
    with pytest.raises(LookupError) as info:
        Library.routes.url('nothere', a=1)
    copy = pickle.loads(pickle.dumps(info.value))
    assert (copy.name, copy.params, copy.reason) == (info.value.name, {'a': 1},
                                                      info.value.reason)


def test_url_generation_fixed_default_must_match():
    routes = Dispatcher()
    routes.connect('show', '/show', lambda req, format: '', format='html')
    assert routes.url('show', format='html') == '/show'
    with pytest.raises(URLGenerationError):
        routes.url('show', format='json')


def test_url_generation_literal_non_ascii_path():
    routes = Dispatcher()
    routes.connect('menu', '/café/{item}', lambda req, item: item)
    assert routes.url('menu', item='x') == '/caf%C3%A9/x'
    assert TestApp(routes).get('/caf%C3%A9/x').text == 'x'


def test_a_path_that_is_not_utf8_is_400_and_no_path_is_the_root():
    routes = Dispatcher()
    routes.connect('menu', '/café/{item}', lambda req, item: item)
    routes.connect('index', '/', lambda req: 'root')
    app = TestApp(routes)
    assert 'not valid UTF-8' in app.get('/caf%E9/x', status=400).text  # latin-1, not UTF-8
    assert app.get('/caf%C3%A9/%C3%A9').text == 'é'
    environ = Request.blank('/').environ
    del environ['PATH_INFO']  # may be missing (PEP 3333): the root
    assert Request(environ).get_response(routes).text == 'root'


def test_a_request_class_reading_its_path_otherwise_is_routed_by_it():
    class Lowered(Request):
        @property
        def path_info(self):
            return super().path_info.lower()

    routes = Dispatcher(RequestClass=Lowered)
    routes.connect('abc', '/abc', lambda req: 'found')
    assert TestApp(routes).get('/ABC').text == 'found'


def test_link_honours_script_name():
    app = TestApp(Library('L'), extra_environ={'SCRIPT_NAME': '/prefix'})
    res = app.post('/view/x', status=303)
    assert res.location == 'http://localhost/prefix/view/x'


@pytest.mark.parametrize('script_name', ['/', '/app/', '//'])
def test_link_under_a_script_name_ending_in_a_slash_stays_on_this_site(script_name):
    # "/" + "/evil.example" is a link to another host.
    routes = Dispatcher()
    routes.connect('page', '/{title}', lambda req, title: req.link('page', title=title))
    page = Request.blank('/evil.example', environ={'SCRIPT_NAME': script_name}).get_response(
        routes)
    assert page.text == script_name.rstrip('/') + '/evil.example'


def test_link_quotes_a_script_name_that_needs_it():
    seen = []

    def where(req, item):
        seen.append(req.link('where', item=item))
        return ''

    routes = Dispatcher()
    routes.connect('where', '/where/{item}', where)
    # WSGI strings are the request's bytes decoded as latin-1.
    mounted = TestApp(routes, extra_environ={'SCRIPT_NAME': '/caf\xc3\xa9 bar'})
    mounted.get('/where/a%20b')
    mounted.get('/where/Ab9')
    assert seen == ['/caf%C3%A9%20bar/where/a%20b', '/caf%C3%A9%20bar/where/Ab9']


def test_link_qualified_uses_request_host_or_base_url():
    seen = []

    def where(req):
        seen.append(req.link('where', qualified=True, anchor='top', q='1'))
        return ''

    routes = Dispatcher()
    routes.connect('where', '/where', where)
    TestApp(routes).get('/where', extra_environ={'HTTP_HOST': 'example.org:8080'})
    configured = Dispatcher(base_url='https://app.example/')
    configured.connect('where', '/where', where)
    TestApp(configured).get('/where', headers={'X-Forwarded-Host': 'evil.example'})
    assert seen == ['http://example.org:8080/where?q=1#top',
                    'https://app.example/where?q=1#top']


@pytest.mark.parametrize('host', ['evil.example\r\nSet-Cookie: a=b', 'evil.example/path',
                                  'a@evil.example', 'evil.example:80x'])
def test_link_qualified_refuses_a_malformed_host_header(host):
    routes = Dispatcher()
    routes.connect('where', '/where', lambda req: req.link('where', qualified=True))
    req = Request.blank('/where')
    req.environ['HTTP_HOST'] = host
    assert req.get_response(routes).status_int == 400


@pytest.mark.parametrize('host, url', [
    ('example.org', 'http://example.org/where'),
    ('Example.org:8080', 'http://Example.org:8080/where'),
    ('[::1]:8080', 'http://[::1]:8080/where'),
    ('127.0.0.1', 'http://127.0.0.1/where'),
])
def test_link_qualified_accepts_well_formed_hosts(host, url):
    routes = Dispatcher()
    routes.connect('where', '/where', lambda req: req.link('where', qualified=True))
    assert TestApp(routes).get('/where', extra_environ={'HTTP_HOST': host}).text == url


def test_link_ignores_forwarded_host_headers():
    seen = []

    def where(req):
        seen.append(req.link('where', qualified=True))

    routes = Dispatcher()
    routes.connect('where', '/where', where)
    TestApp(routes).get('/where', headers={'X-Forwarded-Host': 'evil.example',
                                          'X-Forwarded-Proto': 'https'})
    assert seen == ['http://localhost/where']


def test_link_has_a_repr():
    seen = []
    routes = Dispatcher()
    routes.connect('r', '/r', lambda req: seen.append(repr(req.link)))
    TestApp(routes).get('/r?x=1')
    assert seen == ["<link for GET '/r?x=1'>"]


# -- configuration errors are raised at set-up -----------------------------------

def _connect(*args, **kw):
    routes = Dispatcher()
    routes.connect(*args, **kw)
    return routes


@pytest.mark.parametrize('args, kw, problem_part', [
    (('', '/x', lambda req: ''), {}, 'needs a name'),
    (('x', 'x', lambda req: ''), {}, 'must start with "/"'),
    (('x', '/x'), {}, 'exactly one target'),
    (('x', '/x', lambda req: ''), {'view': lambda req: ''}, 'exactly one target'),
    (('x', '/x'), {'method': 'index'}, "'method' is reserved"),
    (('x', '/x', '_private'), {}, 'not a public method name'),
    (('x', '/x', 'no-dash'), {}, 'not a public method name'),
    (('x', '/x', 42), {}, 'must be a method name, a function or a Controller'),
    (('x', '/x', lambda req: ''), {'methods': []}, 'invalid HTTP methods'),
    (('x', '/x', lambda req: ''), {'methods': ['GE T']}, 'invalid HTTP methods'),
    (('x', '/x', lambda req: ''), {'methods': None}, 'invalid HTTP methods'),
    (('x', '/x', lambda req: ''), {'methods': [b'GET']}, 'invalid HTTP methods'),
    (('x', '/{a}/{a}', lambda req, a: ''), {}, 'a variable repeats'),
    (('x', '/{a}', lambda req, a: ''), {'requirements': {'b': 'x'}}, 'not in the path'),
    (('x', '/{a}', lambda req: ''), {}, "does not accept ['a']"),
    (('x', '/x', lambda req, a: ''), {}, "needs ['a']"),
    (('x', '/x', lambda req: ''), {'conditions': {'method': ['POST']}}, 'use methods='),
    (('x', '/x', lambda req: ''), {'_method': 'POST'}, 'reserved by Routes'),
    (('x', '/x', lambda req: ''), {'_static': True}, 'reserved by Routes'),
    (('x', '/x/{}', lambda req: ''), {}, 'not a valid variable'),
    (('x', '/x/{1a}', lambda req, **kw: ''), {}, 'not a valid variable'),
    (('x', '/x/{a-b}', lambda req, **kw: ''), {}, 'not a valid variable'),
    (('x', '/x/{a', lambda req: ''), {}, 'unbalanced'),
    (('x', '/x/a}', lambda req: ''), {}, 'unbalanced'),
    (('x', '/x/{a:[}', lambda req, a: ''), {}, 'invalid regular expression'),
    (('x', '/x/{a}', lambda req, a: ''), {'requirements': {'a': '('}}, 'invalid regular expression'),
    (('x', '/x/{a}', lambda req, a: ''), {'requirements': 'a'}, 'requirements must be a dict'),
    (('x', '/x?page=1', lambda req: ''), {}, 'query'),
    (('x', '/x#top', lambda req: ''), {}, 'query'),
    (('x', '/x/{a:}', lambda req, a: ''), {}, 'empty requirement'),
    (('x', '/x/{a}', lambda req, a: ''), {'requirements': {'a': ''}}, 'empty requirement'),
    (('x', '/x/{req}', lambda req, **kw: ''), {}, "['req']"),
    (('x', '/x'), {'controller': lambda req: ''}, 'not a Controller'),
])
def test_connect_refuses_bad_configuration(args, kw, problem_part):
    with pytest.raises(ConfigurationError) as info:
        _connect(*args, **kw)
    assert problem_part in info.value.problem
    assert info.value.what.startswith('route ')


def test_connect_refuses_duplicate_names():
    routes = _connect('a', '/a', lambda req: '')
    with pytest.raises(ConfigurationError) as info:
        routes.connect('a', '/b', lambda req: '')
    assert info.value.problem == 'this name is already used'


def test_failed_connect_leaves_the_table_unchanged():
    routes = _connect('a', '/a', lambda req: 'a')
    with pytest.raises(ConfigurationError):
        routes.connect('b', '/b', lambda req, other: '')  # refused after Routes saw it
    with pytest.raises(ConfigurationError):
        routes.connect('b', '/b/{x:[}', lambda req, x: '')
    routes.connect('b', '/b', lambda req: 'b')  # the name is free again
    app = TestApp(routes)
    assert app.get('/a').text == 'a' and app.get('/b').text == 'b'
    assert [r.name for r in routes.routes] == ['a', 'b']


def test_method_target_with_url_variable_named_self_is_refused():
    with pytest.raises((ConfigurationError, RuntimeError)) as info:
        class Broken:
            routes = Dispatcher()
            routes.connect('x', '/x/{self}', 'view')

            def view(self, req, **kw):
                pass
    assert "['self']" in _configuration_error(info).problem


def test_connect_accepts_views_taking_any_keywords_or_no_signature():
    routes = _connect('a', '/{x}/{y}', lambda req, **kw: kw)
    routes.connect('b', '/b/{x}', dict)  # no signature to check: trusted
    assert len(routes.routes) == 2


def _configuration_error(info):
    # Python 3.11 wraps errors raised by __set_name__ in a RuntimeError.
    error = info.value
    return error if isinstance(error, ConfigurationError) else error.__cause__


def test_class_definition_refuses_unknown_method():
    with pytest.raises((ConfigurationError, RuntimeError)) as info:
        class Broken:
            routes = Dispatcher()
            routes.connect('index', '/', 'indx')

            def index(self, req):
                pass
    assert "has no method 'indx'" in _configuration_error(info).problem


def test_class_definition_refuses_method_that_does_not_fit_route():
    with pytest.raises((ConfigurationError, RuntimeError)) as info:
        class Broken:
            routes = Dispatcher()
            routes.connect('view', '/view/{item}', 'view')

            def view(self, req):
                pass
    assert "does not accept ['item']" in _configuration_error(info).problem


def test_connect_after_class_definition_is_checked_at_once():
    class App:
        routes = Dispatcher()

        def index(self, req):
            pass

    with pytest.raises(ConfigurationError):
        App.routes.connect('x', '/x', 'nothere')


def test_method_target_without_owner_fails_at_first_use():
    routes = _connect('index', '/', 'index')
    with pytest.raises(ConfigurationError) as info:
        TestApp(routes).get('/')
    assert 'not a class attribute' in info.value.problem


def test_configuration_error_is_value_error_and_pickles():
    error = ConfigurationError('route x', 'bad')
    assert isinstance(error, ValueError)
    assert repr(pickle.loads(pickle.dumps(error))) == "ConfigurationError('route x', 'bad')"
    assert str(error) == 'route x: bad'


# -- description -------------------------------------------------------------

def test_route_table_reads_as_a_table():
    assert str(Library.routes).splitlines()[:4] == [
        'name       methods   path              target',
        'index      GET,HEAD  /                 Library.index',
        'view       GET,HEAD  /view/{item}      Library.view',
        'save       POST,PUT  /view/{item}      Library.save',
    ]


def test_route_table_is_found_through_middleware():
    from webkit.dispatch import route_table

    @wsgify.middleware
    def passthrough(req, app):
        return app

    library = Library('x')
    assert route_table(passthrough(passthrough(library))) is Library.routes
    assert route_table(Library.routes) is Library.routes
    assert route_table(library.routes) is Library.routes
    assert route_table(wsgify(lambda req: '')) is None


def test_route_and_dispatcher_reprs():
    assert repr(Library.routes.routes[2]) == "<Route 'save' POST,PUT /view/{item} -> Library.save>"
    assert repr(Library.routes) == '<Dispatcher on Library with 7 routes>'
    assert repr(Dispatcher()) == '<Dispatcher with 0 routes>'
    assert repr(Library('x').routes) == '<Dispatcher bound to a Library>'


def test_bound_dispatcher_delegates_to_the_dispatcher():
    bound = Library('x').routes
    assert bound.url('view', item='y') == '/view/y'
    assert str(bound) == str(Library.routes)


def test_dispatcher_custom_request_class():
    class MyRequest(Request):
        max_body_size = 10

    routes = Dispatcher(RequestClass=MyRequest)
    routes.connect('up', '/up', lambda req: type(req).__name__, methods=['POST'])
    app = TestApp(routes)
    assert app.post('/up', 'x' * 10).text == 'MyRequest'
    app.post('/up', 'x' * 11, status=413)


def test_optional_format_extension():
    routes = Dispatcher()
    routes.connect('entry', '/entries/{id}{.format}', lambda req, id, format=None: f'{id} {format}')
    app = TestApp(routes)
    assert app.get('/entries/3.json').text == '3 json'
    assert app.get('/entries/3').text == '3 None'
    assert routes.url('entry', id=3, format='json') == '/entries/3.json'
    assert routes.url('entry', id=3) == '/entries/3'
    assert routes.url('entry', id=3, format='') == '/entries/3'  # as Routes: no extension


def test_optional_format_extension_defaulting_to_none_or_empty_passes_the_route_check(caplog):
    for default in (None, ''):
        routes = Dispatcher()
        routes.connect('entry', '/entries/{id}{.format}', lambda req, id, format: id,
                       format=default)
        assert list(check_routes(routes)) == []
        assert routes.url('entry', id=3) == '/entries/3'


def test_dispatch_not_found_and_method_not_allowed_can_be_overridden():
    class Friendly(Dispatcher):
        def not_found(self, req):
            return exc.HTTPNotFound(f'nothing at {req.path_info}')

        def method_not_allowed(self, req, allowed):
            return Response(f'use {"/".join(allowed)}', status=405,
                            headers={'Allow': ', '.join(allowed)})

    routes = Friendly()
    routes.connect('a', '/a', lambda req: 'a')
    app = TestApp(routes)
    assert 'nothing at /b' in app.get('/b', status=404).text
    res = app.post('/a', status=405)
    assert res.text == 'use GET/HEAD/OPTIONS'


def test_dispatch_default_error_pages_are_static_and_headless_on_head(app):
    res = app.head('/nothere', status=404)
    assert res.body == b'' and res.content_length > 0
    assert repr(Library.routes.not_found(None)) == "<StaticPage '404 Not Found'>"
    first = Library.routes.method_not_allowed(None, ('GET', 'HEAD', 'OPTIONS'))
    assert Library.routes.method_not_allowed(None, ('GET', 'HEAD', 'OPTIONS')) is first


def test_connect_checks_bound_methods_and_callable_objects_as_views():
    class Views:
        def show(self, req, item):
            return f'show {item}'

        def __call__(self, req, item, extra='x'):
            return f'call {item}'

    routes = Dispatcher()
    routes.connect('show', '/show/{item}', Views().show)
    routes.connect('call', '/call/{item}', Views())
    app = TestApp(routes)
    assert app.get('/show/1').text == 'show 1' and app.get('/call/2').text == 'call 2'
    with pytest.raises(ConfigurationError):
        routes.connect('bad', '/bad/{other}', Views())
    with pytest.raises(ConfigurationError):
        routes.connect('bad2', '/bad2', Views().show)


def test_class_attribute_lookup_walks_the_bases():
    from webkit._checks import _class_attribute

    class Base:
        def index(self, req):
            pass

    class Child(Base):
        pass

    assert _class_attribute(Child, 'index') is Base.__dict__['index']
    assert _class_attribute(Child, 'nothere') is None


@pytest.mark.parametrize('decorator', [staticmethod, classmethod])
def test_class_definition_refuses_static_and_class_methods_as_targets(decorator):
    with pytest.raises((ConfigurationError, RuntimeError)) as info:
        class Broken:
            routes = Dispatcher()
            routes.connect('view', '/view/{item}', 'view')
            view = decorator(lambda first, req, item: '')
    assert decorator.__name__ in _configuration_error(info).problem


def test_link_anchor_is_quoted():
    # The anchor is text, not markup: quotes, angle brackets, spaces and a
    # second "#" never come out raw (a raw '"' would end an href attribute).
    seen = []

    def where(req):
        seen.append(req.link('where', anchor='Café "<b>#2'))
        return ''

    routes = Dispatcher()
    routes.connect('where', '/where', where)
    TestApp(routes).get('/where')
    assert seen == ['/where#Caf%C3%A9%20%22%3Cb%3E%232']


# -- matching and generation agree; the whole path only --------------------------

def test_connect_refuses_a_controller_variable_that_would_never_match():
    routes = Dispatcher()
    with pytest.raises(ConfigurationError) as info:
        routes.connect('x', '/{controller}/{action}/{id}', view=lambda req, **kw: '')
    assert '{controller}' in info.value.problem
    assert routes.routes == [] and routes.mapper.matchlist == []


@pytest.mark.parametrize('path', ['/admin/users%0A', '/items/5%0A', '/items/5%0D%0A'])
def test_a_trailing_newline_never_matches(path):
    routes = Dispatcher()
    routes.connect('users', '/admin/users', view=lambda req: 'users')
    routes.connect('item', '/items/{id:\\d+}', view=lambda req, id: id)
    TestApp(routes).get(path, status=404)


@pytest.mark.parametrize('template, path, expected', [
    ('/posts/{slug:[^./]+?}', '/posts/hello', 'hello'),
    ('/items/{id:\\d+(?:-\\d+)?}', '/items/3-4', '3-4'),
    ('/items/{id:\\d+(?:-\\d+)?}', '/items/3', '3'),
])
def test_a_question_mark_inside_a_requirement_is_a_regex(template, path, expected):
    routes = Dispatcher()
    routes.connect('r', template, view=lambda req, **kw: next(iter(kw.values())))
    assert TestApp(routes).get(path).text == expected


def test_a_question_mark_outside_variables_is_still_refused():
    with pytest.raises(ConfigurationError) as info:
        Dispatcher().connect('r', '/search?q={q}', view=lambda req, q: q)
    assert 'query' in info.value.problem


def test_a_class_dispatcher_of_methods_served_directly_says_what_to_serve():
    class Wiki:
        routes = Dispatcher()
        routes.connect('index', '/', 'index')

        def index(self, req):
            return 'hi'

        __call__ = routes

    with pytest.raises(ConfigurationError) as info:
        TestApp(Wiki.routes).get('/')
    assert 'serve Wiki(...), not Wiki.routes' in str(info.value)
    assert TestApp(Wiki()).get('/').text == 'hi'


@pytest.mark.parametrize('template, params, expected', [
    ('/{a}x', {'a': '..'}, '/..x'),
    ('/files/{name}', {'name': '...x'}, '/files/...x'),
    ('/files/{name}', {'name': '.hidden'}, '/files/.hidden'),
])
def test_url_generation_takes_dots_that_make_no_dot_segment(template, params, expected):
    routes = Dispatcher()
    routes.connect('r', template, view=lambda req, **kw: '')
    assert routes.url('r', **params) == expected


@pytest.mark.parametrize('params', [{'name': '..'}, {'name': '.'}])
def test_url_generation_refuses_dot_segments(params):
    routes = Dispatcher()
    routes.connect('r', '/files/{name}', view=lambda req, name: '')
    with pytest.raises(URLGenerationError):
        routes.url('r', **params)


@pytest.mark.parametrize('params', [{'name': '\ud800'}, {'name': 'x', 'q': '\udfff'}])
def test_url_generation_of_a_lone_surrogate_is_a_generation_error(params):
    routes = Dispatcher()
    routes.connect('r', '/files/{name}', view=lambda req, name: '')
    with pytest.raises(URLGenerationError) as info:
        routes.url('r', **params)
    assert info.value.name == 'r'


def test_url_generation_leaves_out_an_empty_list():
    routes = Dispatcher()
    routes.connect('r', '/files/{name}', view=lambda req, name: '')
    assert routes.url('r', name='a', tags=[]) == '/files/a'
    assert routes.url('r', name='a', tags=['x', 'y']) == '/files/a?tags=x&tags=y'


# -- conditional requests --------------------------------------------------------

def _tagged(req):
    resp = req.response
    resp.etag = 'v1'
    resp.last_modified = 1_000_000_000
    resp.conditional_response = True
    resp.text = 'x' * 100
    return resp


@pytest.mark.parametrize('headers, status', [
    ({'If-Match': '"v1"'}, 200),
    ({'If-Match': '*'}, 200),
    ({'If-Match': '"v2"'}, 412),
    ({'If-Match': 'W/"v1"'}, 412),
    ({'If-Unmodified-Since': 'Sun, 09 Sep 2001 01:46:41 GMT'}, 200),
    ({'If-Unmodified-Since': 'Sat, 01 Jan 2000 00:00:00 GMT'}, 412),
])
def test_preconditions_on_get_are_answered(headers, status):
    routes = Dispatcher()
    routes.connect('r', '/', view=_tagged)
    TestApp(routes).get('/', headers=headers, status=status)


def test_range_on_head_is_ignored():
    routes = Dispatcher()
    routes.connect('r', '/', view=_tagged)
    app = TestApp(routes)
    assert app.get('/', headers={'Range': 'bytes=0-9'}, status=206).body == b'x' * 10
    head = app.head('/', headers={'Range': 'bytes=0-9'}, status=200)
    assert head.headers['Content-Length'] == '100'


def test_inline_requirements_with_nested_braces_and_no_double_requirement():
    routes = Dispatcher()
    routes.connect('year', '/y/{year:\\d{4}}', view=lambda req, year: year)
    assert TestApp(routes).get('/y/2024').text == '2024'
    TestApp(routes).get('/y/24', status=404)
    with pytest.raises(ConfigurationError) as info:
        routes.connect('x', '/x/{n:\\d+}', view=lambda req, n: n, requirements={'n': '\\d'})
    assert 'both in the path and in requirements=' in info.value.problem
    with pytest.raises(ConfigurationError):
        routes.connect('y', '/y/{n', view=lambda req, n: n)


def test_route_table_of_something_not_callable_is_none():
    from webkit.dispatch import route_table
    assert route_table(42) is None


@pytest.mark.parametrize('path', ['/a/./b', '/a/../b', '/a/.', '/{x}/../b'])
def test_connect_refuses_dot_segments_browsers_never_send(path):
    with pytest.raises(ConfigurationError) as info:
        Dispatcher().connect('r', path, view=lambda req, **kw: '')
    assert 'segment' in info.value.problem


def test_connect_takes_dots_that_are_no_segment():
    routes = Dispatcher()
    routes.connect('r', '/a/.well-known/{name}', view=lambda req, name: name)
    routes.connect('s', '/v1.2/{name}..x', view=lambda req, name: name)
    assert TestApp(routes).get('/a/.well-known/x').text == 'x'


def test_a_refused_route_leaves_nothing_in_routes_lists():
    routes = Dispatcher()
    routes.connect('ok', '/ok', view=lambda req: 'ok')
    before = {key: list(value) for key, value in routes.mapper.maxkeys.items()}
    with pytest.raises(ConfigurationError):   # refused after Routes filed it
        routes.connect('bad', '/bad/{n}', view=lambda req: '', requirements={'n': '('})
    assert routes.mapper.matchlist == [routes.routes[0].mapped]
    assert 'bad' not in routes.mapper._routenames
    assert {key: value for key, value in routes.mapper.maxkeys.items() if value} == before
    assert TestApp(routes).get('/ok').text == 'ok'


class Login(Controller):
    def index(self):
        self.req.response.set_cookie('sid', 'abc')
        raise exc.HTTPSeeOther(location='/home')


class LoginSite:
    routes = Dispatcher()
    routes.connect('method', '/method', 'login')
    routes.connect('controller', '/controller', Login)

    def login(self, req):
        req.response.set_cookie('sid', 'abc')
        return exc.HTTPSeeOther(location='/home')

    __call__ = routes


def _view_login(req):
    req.response.set_cookie('sid', 'abc')
    return exc.HTTPSeeOther(location='/home')


LoginSite.routes.connect('view', '/view', view=_view_login)


@pytest.mark.parametrize('path', ['/method', '/view', '/controller'])
def test_cookies_set_before_a_redirect_reach_the_client_from_every_target(path):
    res = TestApp(LoginSite()).get(path, status=303)
    assert 'sid=abc' in res.headers['Set-Cookie']


def test_dispatch_application_instances_taking_turns_each_answer_as_themselves():
    first, second = TestApp(Library('First')), TestApp(Library('Second'))
    for _ in range(2):
        assert first.get('/').text == 'First index'
        assert second.get('/').text == 'Second index'


def test_dispatch_request_class_changed_after_serving_is_used():
    class Tagged(Request):
        tag = 'tagged'

    class App:
        routes = Dispatcher()
        routes.connect('index', '/', 'index')

        def index(self, req):
            return getattr(req, 'tag', 'plain')

        __call__ = routes

    app = TestApp(App())
    assert app.get('/').text == 'plain'
    App.routes.RequestClass = Tagged
    assert app.get('/').text == 'tagged'
