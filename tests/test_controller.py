"""Controllers: action lookup, the private-action guard, signatures, hooks."""
import pytest
from webob import exc
from webtest import TestApp

from webkit import ConfigurationError, Controller, Dispatcher


class Base(Controller):
    def shared(self):
        return 'shared action'


class Items(Base):
    label = 'an attribute, not an action'

    def __init__(self, req, app=None):
        super().__init__(req, app)
        self.calls = app.calls

    def index(self):
        self.calls.append('index')
        return 'all items'

    def view(self, item):
        self.calls.append(('view', item))
        return f'item {item} (see {self.link("items")})'

    def _private(self):
        self.calls.append('_private')
        return 'private'

    def __secret__(self):
        self.calls.append('__secret__')
        return 'dunder'


class Shop:
    routes = Dispatcher()
    routes.connect('items', '/items', Items)
    routes.connect('item', '/items/view/{item}', Items, action='view')
    routes.connect('ctl', '/ctl/{action}', Items)
    routes.connect('ctl_id', '/ctl/{action}/{id}', Items)

    def __init__(self):
        self.calls = []

    __call__ = routes


@pytest.fixture
def shop():
    return Shop()


@pytest.fixture
def app(shop):
    return TestApp(shop)


def test_controller_default_action_is_index(app, shop):
    assert app.get('/items').text == 'all items'
    assert shop.calls == ['index']


def test_controller_fixed_action_gets_url_variables(app):
    assert app.get('/items/view/7').text == 'item 7 (see /items)'


def test_controller_action_from_url(app):
    assert app.get('/ctl/index').text == 'all items'
    assert app.get('/ctl/shared').text == 'shared action'


@pytest.mark.parametrize('action', [
    '_private', '__secret__', '__init__', '__call__', '__before__', '__after__',
    '__class__', '__dict__', 'label', 'check_action', 'special_vars', 'req',
    'link', 'app', 'calls', 'mro', 'nothere', '-index', 'index.json',
])
def test_controller_unreachable_names_are_404_with_no_side_effect(app, shop, action):
    app.get(f'/ctl/{action}', status=404)
    assert shop.calls == []


def test_controller_variable_the_action_does_not_take_is_404(app, shop):
    app.get('/ctl/index/123', status=404)
    assert shop.calls == []


def test_controller_missing_required_variable_is_404(app, shop):
    app.get('/ctl/view', status=404)
    assert shop.calls == []


def test_controller_before_can_answer_instead_of_action():
    class Guarded(Controller):
        def __before__(self):
            if 'key' not in self.req.GET:
                return exc.HTTPForbidden()

        def index(self):
            return 'opened'

    routes = Dispatcher()
    routes.connect('g', '/', Guarded)
    app = TestApp(routes)
    app.get('/', status=403)
    assert app.get('/?key=1').text == 'opened'


def test_controller_after_sees_and_replaces_result():
    class Wrapped(Controller):
        def __after__(self, result):
            return f'[{result}]'

        def index(self):
            return 'body'

    routes = Dispatcher()
    routes.connect('w', '/', Wrapped)
    assert TestApp(routes).get('/').text == '[body]'


def test_controller_hooks_from_a_base_class_run():
    class Audited(Controller):
        def __before__(self):
            self.req.environ['seen'] = 'before'

        def __after__(self, result):
            return f'{self.req.environ["seen"]}: {result}'

    class Pages(Audited):
        def index(self):
            return 'body'

    routes = Dispatcher()
    routes.connect('p', '/', Pages)
    assert TestApp(routes).get('/').text == 'before: body'


def test_controller_hooks_set_on_the_instance_run():
    class Gated(Controller):
        def __init__(self, req, app=None):
            super().__init__(req, app)
            if 'closed' in req.GET:
                self.__before__ = lambda: 'closed'

        def index(self):
            return 'open'

    routes = Dispatcher()
    routes.connect('g', '/', Gated)
    assert TestApp(routes).get('/?closed').text == 'closed'
    assert TestApp(routes).get('/').text == 'open'


def test_controller_action_comes_from_the_request_classes_urlvars():
    from webkit import Request

    class Defaulting(Request):
        @property
        def urlvars(self):
            return {'action': self.GET.get('do', 'index'), **super().urlvars}

    class Pages(Controller):
        def index(self):
            return 'index'

        def other(self):
            return 'other'

    routes = Dispatcher(RequestClass=Defaulting)
    routes.connect('p', '/', Pages)
    assert TestApp(routes).get('/?do=other').text == 'other'


def test_controller_takes_the_urlvars_the_dispatcher_set_as_webob_sets_them():
    # An outer router's variables: Paste's, which WebOb's req.urlvars reads
    # first, and a wsgiorg positional part, which WebOb keeps.
    class Pages(Controller):
        def view(self, item):
            return f'{item} {self.req.urlvars} {self.req.environ["wsgiorg.routing_args"][0]}'

        def secret(self):
            return 'never'

    routes = Dispatcher()
    routes.connect('p', '/{action}/{item}', Pages)
    app = TestApp(routes, extra_environ={'paste.urlvars': {'action': 'secret'},
                                         'wsgiorg.routing_args': (('outer',), {})})
    assert app.get('/view/7').text == "7 {'action': 'view', 'item': '7'} ('outer',)"
    # Paste's alone: WebOb's setter writes them there, and so does the dispatcher.
    seen = {}

    class Kept(Controller):
        def view(self, item):
            seen.update(self.req.environ)
            return item

    routes = Dispatcher()
    routes.connect('k', '/{action}/{item}', Kept)
    assert TestApp(routes, extra_environ={'paste.urlvars': {'action': 'x'}}).get('/view/7')
    assert seen['paste.urlvars'] == {'action': 'view', 'item': '7'}
    assert 'wsgiorg.routing_args' not in seen


def test_controller_attribute_hides_inherited_action():
    class Parent(Controller):
        def hidden(self):
            return 'reachable?'

    class Child(Parent):
        hidden = None

    assert 'hidden' in Parent._actions
    assert 'hidden' not in Child._actions


def test_controller_actions_may_take_any_keywords():
    class Loose(Controller):
        def index(self, **kw):
            return repr(sorted(kw.items()))

    routes = Dispatcher()
    routes.connect('l', '/l/{a}/{b}', Loose)
    assert TestApp(routes).get('/l/1/2').text == "[('a', '1'), ('b', '2')]"


def test_controller_standalone_dispatcher_is_the_app():
    class Who(Controller):
        def index(self):
            return type(self.app).__name__

    routes = Dispatcher()
    routes.connect('who', '/', Who)
    assert TestApp(routes).get('/').text == 'Dispatcher'


def test_controller_repr_names_the_request():
    seen = []

    class Shown(Controller):
        def index(self):
            seen.append(repr(self))
            return ''

    routes = Dispatcher()
    routes.connect('s', '/s', Shown)
    TestApp(routes).get('/s?x=1')
    assert seen == [f"<{Shown.__qualname__} for GET '/s?x=1'>"]


@pytest.mark.parametrize('path, kw, problem_part', [
    ('/x', {'action': 'nothere'}, "has no action 'nothere'; actions: index, shared, view"),
    ('/x', {'action': '_private'}, "has no action '_private'"),
    ('/x/{other}', {'action': 'view'}, 'does not fit the route variables'),
    ('/x/{item}', {}, 'index does not fit'),
])
def test_controller_route_with_impossible_action_fails_at_connect(path, kw, problem_part):
    routes = Dispatcher()
    with pytest.raises(ConfigurationError) as info:
        routes.connect('bad', path, Items, **kw)
    assert problem_part in info.value.problem


def test_controller_without_actions_is_reported():
    class Empty(Controller):
        pass

    with pytest.raises(ConfigurationError) as info:
        Dispatcher().connect('e', '/', Empty)
    assert info.value.problem.endswith('actions: none')


def test_controller_url_variable_colliding_with_self_is_404_not_500():
    class Open(Controller):
        def anything(self, **kw):
            return 'anything'

    routes = Dispatcher()
    routes.connect('open', '/open/{action}/{self}', Open)
    app = TestApp(routes)
    app.get('/open/anything/x', status=404)


def test_controller_link_is_the_requests_and_a_name_free_for_an_action():
    class Pages(Controller):
        def view(self, id):
            return self.req.link('page', id=id, action='link')

        def link(self, id):  # an action of that name (self.link is then the action)
            return f'link page {id}'

    class Legacy(Controller):
        def __init__(self, req, app=None):
            super().__init__(req, app)
            self.link = req.link  # set in __init__, as some subclasses do

        def index(self):
            return self.link('legacy')

    routes = Dispatcher()
    routes.connect('page', '/pages/{id}/{action}', Pages)
    routes.connect('legacy', '/legacy', Legacy)
    app = TestApp(routes)
    assert app.get('/pages/1/view').text == '/pages/1/link'
    assert app.get('/pages/1/link').text == 'link page 1'
    assert app.get('/legacy').text == '/legacy'
    assert Controller.link is Controller.__dict__['link']  # documentation tools read it


def test_controller_overriding_call_is_called_and_reads_req_urlvars():
    # Pylons-style: __call__ wrapped around the action choice, which then
    # reads req.urlvars as changed (the dispatcher passes it nothing).
    class Wrapped(Controller):
        def __call__(self):
            self.req.urlvars['action'] = 'other'
            return 'wrapped ' + super().__call__()

        def index(self):
            return 'index'

        def other(self):
            return 'other'

    routes = Dispatcher()
    routes.connect('w', '/', Wrapped)
    assert TestApp(routes).get('/').text == 'wrapped other'


def test_controller_own_special_vars_are_kept_from_the_action():
    class Formats(Controller):
        special_vars = frozenset({'action', 'controller', 'format'})

        def view(self, id):
            return f'{id} as {self.req.urlvars["format"]}'

    routes = Dispatcher()
    routes.connect('f', '/{action}/{id}.{format}', Formats)
    assert TestApp(routes).get('/view/3.json').text == '3 as json'
    # Without the override, format would be passed to the action, which takes no such argument.
    routes = Dispatcher()
    routes.connect('f', '/{action}/{id}.{format}', type('Plain', (Controller,), {
        'view': lambda self, id: id}))
    assert TestApp(routes).get('/view/3.json', status=404).status_int == 404


def test_controller_init_replacing_urlvars_chooses_the_action():
    class Pages(Controller):
        def __init__(self, req, app=None):
            super().__init__(req, app)
            req.urlvars = {**req.urlvars, 'action': 'show'}

        def index(self, slug):
            return 'index ' + slug

        def show(self, slug):
            return 'show ' + slug

    routes = Dispatcher()
    routes.connect('p', '/{slug}', Pages)
    assert TestApp(routes).get('/hello').text == 'show hello'
