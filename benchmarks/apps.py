"""The same small application in each framework, built the idiomatic way.

Routes: ``GET /`` (index), ``GET /view/{item}`` answering ``item`` as
HTML, ``POST /view/{item}`` is not routed (a 405 where the framework
knows it), ``/ctl/view/{item}`` through a class (a controller where the
framework has one), ``POST /form`` validating and refilling a form with
htmlfill, and ``extra`` more routes of one shape (:data:`SHAPES`) to
measure how matching scales.

Handlers that touch the response, one route each: ``/ct/{item}`` sets
the content type to text/plain, ``/hdr/{item}`` adds ``X-Item: item``,
``/cookie/{item}`` sets the cookie ``seen=item``, ``/resp/{item}``
returns the framework's response object, and ``POST /json`` reads
``{"a": ...}`` and answers ``{"got": ...}`` as JSON.

Every builder returns ``(wsgi_app, url_for)``; ``url_for(environ)`` builds
the URL of ``view`` with ``item='x'`` the framework's way (or is None).
A framework that is not installed raises ImportError, reported by the runner.
"""
FORM = '<form method="post"><input name="email"><input name="age"></form>'
#: Route templates for the scaling runs, in each framework's syntax:
#: a distinct first segment, a common prefix, a variable first segment,
#: and static and variable segments mixed.
SHAPES = {
    'distinct first segment': '/r{i}/view/{{item}}',
    'common prefix': '/api/r{i}/view/{{item}}',
    'variable first': '/{{lang}}/r{i}/view/{{item}}',
    'mixed': '/api/{{version}}/r{i}/{{item}}/edit',
}
#: The path of the last of ``n`` routes of each shape (format with ``i``), and a miss.
SHAPE_PATHS = {
    'distinct first segment': ('/r{i}/view/x', '/nothere/x'),
    'common prefix': ('/api/r{i}/view/x', '/api/nothere/view/x'),
    'variable first': ('/en/r{i}/view/x', '/en/nothere/view/x'),
    'mixed': ('/api/v1/r{i}/x/edit', '/api/v1/nothere/x/edit'),
}
SECRET = 'benchmark-secret-' * 3
TOKEN = 'benchmark-token-' * 3
#: The guarded form as a page that carries the token, and what its client posts.
GUARDED_FORM = FORM.replace('</form>', '<input type="hidden" name="csrf_token"></form>')
GUARDED_BODY = f'email=nobody&age=3&csrf_token={TOKEN}'.encode()


def _extra(extra):
    """``extra`` as a list of paths in ``{name}`` syntax: a bare count means
    that many routes of the first shape."""
    count, template = (extra, SHAPES['distinct first segment']) if isinstance(
        extra, int) else extra
    return [template.format(i=i) for i in range(count)]


def _angle(path):
    """A path in the ``<name>`` syntax of Bottle and Flask."""
    return path.replace('{', '<').replace('}', '>')


def refill(params, form=FORM):
    """The form handler every framework runs: validate, then refill."""
    from formencode import htmlfill  # imported when used, as webkit does
    errors = {} if '@' in params.get('email', '') else {'email': 'Enter an email'}
    return htmlfill.render(form, defaults=dict(params), errors=errors)


def _json_body(req):
    """``webkit.forms.json_body``, imported on the first call only.

    webkit.forms loads FormEncode, which the memory figure's application
    never uses; a real application imports it once, at the top of its
    module, and so does this after the first call (an import statement
    run on every request would cost webkit's JSON figure 0.6 us that
    Falcon's does not pay).
    """
    global _json_body
    from webkit.forms import json_body
    _json_body = json_body
    return json_body(req)


def raw(extra):
    """A bare WSGI callable: the floor, no routing at all."""
    def app(environ, start_response):
        start_response('200 OK', [('Content-Type', 'text/html; charset=UTF-8'),
                                  ('Content-Length', '1')])
        return [b'x']
    return app, None


def regex_router(extra):
    """The floor of routing: one regular expression per route on PATH_INFO, no framework."""
    import re
    table = [(re.compile(r'/view/(?P<item>[^/]+)').fullmatch, 'item')]
    for path in _extra(extra):
        table.append((re.compile(re.sub(r'\{(\w+)\}', r'(?P<\1>[^/]+)', path)).fullmatch,
                      'item'))

    def app(environ, start_response):
        path = environ['PATH_INFO']
        for match, name in table:
            found = match(path)
            if found is not None:
                body = found[name].encode()
                start_response('200 OK', [('Content-Type', 'text/html; charset=UTF-8'),
                                          ('Content-Length', str(len(body)))])
                return [body]
        start_response('404 Not Found', [('Content-Type', 'text/plain'),
                                         ('Content-Length', '9')])
        return [b'not found']
    return app, None


def webob_wsgify(extra):
    """WebOb's wsgify with the hand-written path_info dispatch the seed warns about."""
    from webob import exc
    from webob.dec import wsgify

    @wsgify
    def app(req):
        path = req.path_info
        if path.startswith('/view/') and req.method == 'GET':
            return path[6:]
        if path == '/':
            return 'index'
        return exc.HTTPNotFound()
    return app, None


def seed(extra):
    """The seed's pattern: Routes' routematch and a URLGenerator per request."""
    from routes import Mapper, URLGenerator
    from webob import exc
    from webob.dec import wsgify

    mapper = Mapper()
    mapper.connect('index', '/', target='index')
    mapper.connect('view', '/view/{item}', target='view', conditions={'method': ['GET']})
    for i, path in enumerate(_extra(extra)):
        mapper.connect(f'r{i}', path, target='view')

    @wsgify
    def app(req):
        results = mapper.routematch(environ=req.environ)
        if not results:
            return exc.HTTPNotFound()
        match, route = results
        req.urlvars = match
        req.link = URLGenerator(mapper, req.environ)
        return match.get('item', 'index')

    def url_for(environ):
        return URLGenerator(mapper, environ)('view', item='x')
    return app, url_for


def webkit(extra):
    """webkit: a configured application class with a Dispatcher."""
    from webkit import Controller, Dispatcher, Response

    class Items(Controller):
        def view(self, item):
            return item

    class App:
        routes = Dispatcher()
        routes.connect('index', '/', 'index')
        routes.connect('view', '/view/{item}', 'view')
        routes.connect('ctl', '/ctl/{action}/{item}', Items)
        routes.connect('form', '/form', 'form', methods=['POST'])
        routes.connect('typed', '/ct/{item}', 'typed')
        routes.connect('header', '/hdr/{item}', 'header')
        routes.connect('cookie', '/cookie/{item}', 'cookie')
        routes.connect('response', '/resp/{item}', 'response')
        routes.connect('json', '/json', 'json', methods=['POST'])
        routes.connect('guarded', '/guarded', 'guarded', methods=['POST'])
        routes.connect('guard', '/guard', 'guard', methods=['POST'])
        routes.connect('twice', '/twice', 'twice', methods=['POST'])
        for i, path in enumerate(_extra(extra)):
            routes.connect(f'r{i}', path, 'view')

        def index(self, req):
            return 'index'

        def view(self, req, item, **more):
            return item

        def typed(self, req, item):
            req.response.content_type = 'text/plain'
            return item

        def header(self, req, item):
            req.response.headers['X-Item'] = item
            return item

        def cookie(self, req, item):
            req.response.set_cookie('seen', item)
            return item

        def response(self, req, item):
            return Response(item)

        def json(self, req):
            return Response(json={'got': _json_body(req)['a']})

        def form(self, req):
            from webkit.forms import render_form
            errors = {} if '@' in req.POST.get('email', '') else {'email': 'Enter an email'}
            return render_form(FORM, req.POST, errors, req=req)

        def guarded(self, req):
            from webkit import session
            session(req).get('user')  # whose form it is: the session is read
            return self.form(req)

        def guard(self, req):  # the guarded form's handler without its page
            from webkit import session
            session(req).get('user')
            return ''

        def twice(self, req):  # the guarded form's handler, its page made twice
            self.form(req)
            return self.guarded(req)

        __call__ = routes

    from webkit.route import Link  # what the dispatcher sets as req.link

    def url_for(environ):
        return Link(App.routes, App.routes.RequestClass(environ))('view', item='x')
    return App(), url_for


def webkit_minimal(extra, package='webkit'):
    """The routed GET, the controller and the refusals of :func:`webkit` only, from
    ``package``: an earlier webkit imported under another name, for comparison."""
    import importlib
    kit = importlib.import_module(package)

    class Items(kit.Controller):
        def view(self, item):
            return item

    class App:
        routes = kit.Dispatcher()
        routes.connect('index', '/', 'index')
        routes.connect('view', '/view/{item}', 'view')
        routes.connect('ctl', '/ctl/{action}/{item}', Items)
        for i, path in enumerate(_extra(extra)):
            routes.connect(f'r{i}', path, 'view')

        def index(self, req):
            return 'index'

        def view(self, req, item, **more):
            return item

        __call__ = routes
    return App(), None


def webkit_guarded(extra):
    """webkit's form behind ``Sessions(CSRFProtection(app))``: what a real form POST crosses.

    Returns the app and the ``Cookie`` header and body of a client that
    has a session and a token, as a browser would send them.
    """
    import time

    from webkit import CSRFProtection, Sessions
    from webkit._cookies import SignedCookie

    app, _ = webkit(extra)
    cookies = []
    for salt, name, value in [('webkit.session', 'webkit_session',
                               {'at': int(time.time()), 'data': {'user': 'ada'}}),
                              ('webkit.csrf', 'webkit_csrf', TOKEN)]:
        header = SignedCookie(SECRET, salt, name).get_headers(value, secure=False)[0][1]
        cookies.append(header.split(';')[0])
    return (Sessions(CSRFProtection(app, SECRET), SECRET),
            ('; '.join(cookies), GUARDED_BODY))


def falcon(extra):
    """Falcon 4: resources with responders."""
    import falcon as fc

    class Index:
        def on_get(self, req, resp):
            resp.content_type = 'text/html'
            resp.text = 'index'

    class View:
        def on_get(self, req, resp, item, **more):
            resp.content_type = 'text/html'
            resp.text = item

    class Typed:
        def on_get(self, req, resp, item):
            resp.content_type = 'text/plain'
            resp.text = item

    class Header:
        def on_get(self, req, resp, item):
            resp.content_type = 'text/html'
            resp.set_header('X-Item', item)
            resp.text = item

    class Cookie:
        def on_get(self, req, resp, item):
            resp.content_type = 'text/html'
            resp.set_cookie('seen', item, secure=False)
            resp.text = item

    class Json:
        def on_post(self, req, resp):
            resp.media = {'got': req.get_media()['a']}

    class Form:
        def on_post(self, req, resp):
            resp.content_type = 'text/html'
            resp.text = refill(_falcon_form(req))

    class Guarded:
        def on_post(self, req, resp):
            req.context.session.get('user')  # whose form it is (read by the guard)
            resp.content_type = 'text/html'
            resp.text = refill(req.context.form, GUARDED_FORM)  # the form the guard read

    class Guard:  # the guarded form's responder without its page
        def on_post(self, req, resp):
            req.context.session.get('user')
            resp.content_type = 'text/html'
            resp.text = ''

    class Twice(Guarded):  # the guarded form's responder, its page made twice
        def on_post(self, req, resp):
            refill(req.context.form, GUARDED_FORM)
            super().on_post(req, resp)

    app = fc.App()
    app.req_options.auto_parse_form_urlencoded = False
    app.add_route('/', Index())
    view = View()
    app.add_route('/view/{item}', view)
    app.add_route('/ctl/view/{item}', view)
    app.add_route('/form', Form())
    app.add_route('/ct/{item}', Typed())
    app.add_route('/hdr/{item}', Header())
    app.add_route('/cookie/{item}', Cookie())
    app.add_route('/resp/{item}', view)  # a responder always answers through resp
    app.add_route('/json', Json())
    app.add_route('/guarded', Guarded())
    app.add_route('/guard', Guard())
    app.add_route('/twice', Twice())
    for path in _extra(extra):
        app.add_route(path, view)
    return app, None


def _falcon_form(req):
    from urllib.parse import parse_qsl
    return dict(parse_qsl(req.bounded_stream.read().decode()))


def falcon_guarded(extra):
    """Falcon's equivalent of webkit's guarded form: a middleware keeping a signed
    session cookie and a CSRF token cookie, checking the token of unsafe requests."""
    import json

    guard = _FalconGuard(SECRET)
    app, _ = falcon(extra)
    app.add_middleware(guard)
    session = json.dumps({'user': 'ada'})
    cookies = f'session={session}.{guard.sign(session)}; csrf={TOKEN}.{guard.sign(TOKEN)}'
    return app, (cookies, GUARDED_BODY)


class _FalconGuard:
    """Signed session and CSRF cookies for Falcon, checked as webkit checks them."""

    def __init__(self, secret):
        import hashlib
        import hmac
        self.key = secret.encode()
        self.sign = lambda value: hmac.new(self.key, value.encode(), hashlib.sha512).hexdigest()
        self.same = hmac.compare_digest

    def _read(self, req, name):
        raw = req.cookies.get(name)
        if raw is None or '.' not in raw:
            return None
        value, _, mac = raw.rpartition('.')
        return value if self.same(mac, self.sign(value)) else None

    def process_request(self, req, resp):
        import json
        stored = self._read(req, 'session')
        req.context.session = json.loads(stored) if stored else {}
        req.context.token = self._read(req, 'csrf')

    def process_resource(self, req, resp, resource, params):
        import falcon as fc
        if req.method in ('GET', 'HEAD', 'OPTIONS', 'TRACE'):
            return
        req.context.form = form = _falcon_form(req)
        sent = form.get('csrf_token', '')
        token = req.context.token
        if not (token and sent and self.same(sent.encode(), token.encode())):
            raise fc.HTTPForbidden()

    def process_response(self, req, resp, resource, req_succeeded):
        if 'csrf_token' in getattr(req.context, 'form', ()):
            resp.vary = ('Cookie',)
            resp.cache_control = ('private', 'no-store')


def bottle(extra):
    """Bottle: decorated functions on an app object."""
    import bottle as bt

    def typed(item):
        bt.response.content_type = 'text/plain'
        return item

    def header(item):
        bt.response.set_header('X-Item', item)
        return item

    def cookie(item):
        bt.response.set_cookie('seen', item)
        return item

    app = bt.Bottle()
    app.route('/', 'GET', lambda: 'index', name='index')
    app.route('/view/<item>', 'GET', lambda item: item, name='view')
    app.route('/ctl/view/<item>', 'GET', lambda item: item)
    app.route('/form', 'POST', lambda: refill(dict(bt.request.forms.decode())))
    app.route('/ct/<item>', 'GET', typed)
    app.route('/hdr/<item>', 'GET', header)
    app.route('/cookie/<item>', 'GET', cookie)
    app.route('/resp/<item>', 'GET', lambda item: bt.HTTPResponse(item))
    app.route('/json', 'POST', lambda: {'got': bt.request.json['a']})
    for path in _extra(extra):
        app.route(_angle(path), 'GET', lambda item, **more: item)

    def url_for(environ):
        return app.get_url('view', item='x')
    return app, url_for


def pyramid(extra):
    """Pyramid: a Configurator with named routes and views."""
    from pyramid.config import Configurator
    from pyramid.request import Request
    from pyramid.response import Response

    class ItemViews:
        def __init__(self, request):
            self.request = request

        def view(self):
            return Response(self.request.matchdict['item'])

    def typed(request):
        request.response.content_type = 'text/plain'
        request.response.text = request.matchdict['item']
        return request.response

    def header(request):
        request.response.headers['X-Item'] = request.matchdict['item']
        request.response.text = request.matchdict['item']
        return request.response

    def cookie(request):
        request.response.set_cookie('seen', request.matchdict['item'])
        request.response.text = request.matchdict['item']
        return request.response

    config = Configurator()
    config.add_route('index', '/')
    config.add_route('view', '/view/{item}', request_method='GET')
    config.add_route('ctl', '/ctl/view/{item}')
    config.add_route('form', '/form', request_method='POST')
    config.add_view(lambda request: Response('index'), route_name='index')
    config.add_view(lambda request: Response(request.matchdict['item']), route_name='view')
    config.add_view(ItemViews, attr='view', route_name='ctl')
    config.add_view(lambda request: Response(refill(request.POST)), route_name='form')
    for name, path, view in [('typed', '/ct/{item}', typed), ('header', '/hdr/{item}', header),
                             ('cookie', '/cookie/{item}', cookie),
                             ('response', '/resp/{item}',
                              lambda request: Response(request.matchdict['item']))]:
        config.add_route(name, path, request_method='GET')
        config.add_view(view, route_name=name)
    config.add_route('json', '/json', request_method='POST')
    config.add_view(lambda request: {'got': request.json_body['a']}, route_name='json',
                    renderer='json')
    for i, path in enumerate(_extra(extra)):
        config.add_route(f'r{i}', path)
        config.add_view(lambda request: Response(request.matchdict['item']),
                        route_name=f'r{i}')
    app = config.make_wsgi_app()

    def url_for(environ):
        request = Request(environ)
        request.registry = app.registry
        return request.route_path('view', item='x')
    return app, url_for


def flask(extra):
    """Flask: an app object with routes and a MethodView."""
    import flask as fl
    from flask.views import MethodView

    app = fl.Flask('bench')

    class ItemView(MethodView):
        def get(self, item):
            return item

    def typed(item):
        resp = fl.make_response(item)
        resp.content_type = 'text/plain'
        return resp

    def header(item):
        return item, {'X-Item': item}

    def cookie(item):
        resp = fl.make_response(item)
        resp.set_cookie('seen', item)
        return resp

    app.add_url_rule('/', 'index', lambda: 'index')
    app.add_url_rule('/view/<item>', 'view', lambda item: item, methods=['GET'])
    app.add_url_rule('/ctl/view/<item>', view_func=ItemView.as_view('ctl'))
    app.add_url_rule('/form', 'form', lambda: refill(fl.request.form.to_dict()),
                     methods=['POST'])
    app.add_url_rule('/ct/<item>', 'typed', typed)
    app.add_url_rule('/hdr/<item>', 'header', header)
    app.add_url_rule('/cookie/<item>', 'cookie', cookie)
    app.add_url_rule('/resp/<item>', 'response', lambda item: fl.Response(item))
    app.add_url_rule('/json', 'json', lambda: {'got': fl.request.get_json()['a']},
                     methods=['POST'])
    for i, path in enumerate(_extra(extra)):
        app.add_url_rule(_angle(path), f'r{i}', lambda item, **more: item)

    def url_for(environ):
        with app.request_context(environ):
            return fl.url_for('view', item='x')
    return app, url_for


BUILDERS = {
    'raw WSGI': raw,
    'regex router': regex_router,
    'webob wsgify + ifs': webob_wsgify,
    'seed (Routes per request)': seed,
    'webkit': webkit,
    'falcon': falcon,
    'bottle': bottle,
    'pyramid': pyramid,
    'flask': flask,
}
#: The guarded form (sessions and CSRF), where the framework builds it the same way.
GUARDED = {
    'webkit': webkit_guarded,
    'falcon': falcon_guarded,
}
#: What the floors and the hand-written variants answer; every framework answers all.
PARTIAL = {
    'raw WSGI': {'GET str'},
    'regex router': {'GET str'},
    'webob wsgify + ifs': {'GET str', '404'},
    'seed (Routes per request)': {'GET str', '404'},
}
