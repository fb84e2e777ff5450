"""The same small application in each framework, built the idiomatic way.

Routes: ``GET /`` (index), ``GET /view/{item}``, ``POST /view/{item}`` is
not routed (a 405 where the framework knows it), ``/ctl/view/{item}``
through a class (a controller where the framework has one), ``POST /form``
validating and refilling a form with htmlfill, and ``extra`` more routes
``/r{i}/view/{item}`` to measure how matching scales.

Every builder returns ``(wsgi_app, url_for)``; ``url_for(environ)`` builds
the URL of ``view`` with ``item='x'`` the framework's way (or is None).
A framework that is not installed raises ImportError, reported by the runner.
"""
FORM = '<form method="post"><input name="email"><input name="age"></form>'


def refill(params):
    """The form handler every framework runs: validate, then refill."""
    from formencode import htmlfill  # imported when used, as webkit does
    errors = {} if '@' in params.get('email', '') else {'email': 'Enter an email'}
    return htmlfill.render(FORM, defaults=dict(params), errors=errors)


def raw(extra):
    """A bare WSGI callable: the floor, no routing at all."""
    def app(environ, start_response):
        start_response('200 OK', [('Content-Type', 'text/plain'), ('Content-Length', '1')])
        return [b'x']
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
    for i in range(extra):
        mapper.connect(f'r{i}', f'/r{i}/view/{{item}}', target='view')

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
    from webkit import Controller, Dispatcher

    class Items(Controller):
        def view(self, item):
            return item

    class App:
        routes = Dispatcher()
        routes.connect('index', '/', 'index')
        routes.connect('view', '/view/{item}', 'view')
        routes.connect('ctl', '/ctl/{action}/{item}', Items)
        routes.connect('form', '/form', 'form', methods=['POST'])
        for i in range(extra):
            routes.connect(f'r{i}', f'/r{i}/view/{{item}}', 'view')

        def index(self, req):
            return 'index'

        def view(self, req, item):
            return item

        def form(self, req):
            from webkit.forms import render_form  # FormEncode loads when first used
            errors = {} if '@' in req.POST.get('email', '') else {'email': 'Enter an email'}
            return render_form(FORM, req.POST, errors)

        __call__ = routes

    from webkit.route import Link  # what the dispatcher sets as req.link

    def url_for(environ):
        return Link(App.routes, App.routes.RequestClass(environ))('view', item='x')
    return App(), url_for


def falcon(extra):
    """Falcon 4: resources with responders."""
    import falcon as fc

    class Index:
        def on_get(self, req, resp):
            resp.content_type = 'text/plain'
            resp.text = 'index'

    class View:
        def on_get(self, req, resp, item):
            resp.content_type = 'text/plain'
            resp.text = item

    class Form:
        def on_post(self, req, resp):
            resp.content_type = 'text/html'
            resp.text = refill(_falcon_form(req))

    app = fc.App()
    app.req_options.auto_parse_form_urlencoded = False
    app.add_route('/', Index())
    view = View()
    app.add_route('/view/{item}', view)
    app.add_route('/ctl/view/{item}', view)
    app.add_route('/form', Form())
    for i in range(extra):
        app.add_route(f'/r{i}/view/{{item}}', view)
    return app, None


def _falcon_form(req):
    from urllib.parse import parse_qsl
    return dict(parse_qsl(req.bounded_stream.read().decode()))


def bottle(extra):
    """Bottle: decorated functions on an app object."""
    import bottle as bt

    app = bt.Bottle()
    app.route('/', 'GET', lambda: 'index', name='index')
    app.route('/view/<item>', 'GET', lambda item: item, name='view')
    app.route('/ctl/view/<item>', 'GET', lambda item: item)
    app.route('/form', 'POST', lambda: refill(dict(bt.request.forms.decode())))
    for i in range(extra):
        app.route(f'/r{i}/view/<item>', 'GET', lambda item: item)

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
            return Response(self.request.matchdict['item'], content_type='text/plain')

    config = Configurator()
    config.add_route('index', '/')
    config.add_route('view', '/view/{item}', request_method='GET')
    config.add_route('ctl', '/ctl/view/{item}')
    config.add_route('form', '/form', request_method='POST')
    config.add_view(lambda request: Response('index'), route_name='index')
    config.add_view(lambda request: Response(request.matchdict['item']), route_name='view')
    config.add_view(ItemViews, attr='view', route_name='ctl')
    config.add_view(lambda request: Response(refill(request.POST)), route_name='form')
    for i in range(extra):
        config.add_route(f'r{i}', f'/r{i}/view/{{item}}')
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

    app.add_url_rule('/', 'index', lambda: 'index')
    app.add_url_rule('/view/<item>', 'view', lambda item: item, methods=['GET'])
    app.add_url_rule('/ctl/view/<item>', view_func=ItemView.as_view('ctl'))
    app.add_url_rule('/form', 'form', lambda: refill(fl.request.form.to_dict()),
                     methods=['POST'])
    for i in range(extra):
        app.add_url_rule(f'/r{i}/view/<item>', f'r{i}', lambda item: item)

    def url_for(environ):
        with app.request_context(environ):
            return fl.url_for('view', item='x')
    return app, url_for


BUILDERS = {
    'raw WSGI': raw,
    'webob wsgify + ifs': webob_wsgify,
    'seed (Routes per request)': seed,
    'webkit': webkit,
    'falcon': falcon,
    'bottle': bottle,
    'pyramid': pyramid,
    'flask': flask,
}
