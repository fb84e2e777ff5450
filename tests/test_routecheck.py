"""Route checks: webkit.routecheck (shadowed routes, URLs that do not route back)."""
import logging
from urllib.parse import unquote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from webtest import TestApp

from webkit import Dispatcher
from webkit.__main__ import main
from webkit.lint import check_app
from webkit.routecheck import _covers, _routes_back, _segments, check_routes


def view(req, **urlvars):
    return 'ok'


def table(*routes):
    """A dispatcher from (path, methods) pairs, named r0, r1, ..."""
    dispatcher = Dispatcher()
    for number, (path, methods) in enumerate(routes):
        dispatcher.connect(f'r{number}', path, view=view, methods=methods)
    return dispatcher


def problems_of(*paths, methods=('GET',)):
    return [(p.kind, p.route.name, p.other and p.other.name)
            for p in check_routes(table(*[(path, methods) for path in paths]))]


@pytest.mark.parametrize('earlier, later', [
    ('/{title}', '/all'),
    ('/a/{x}', '/a/b'),
    ('/x', '/x'),
    ('/f/{a}', '/f/{b}'),
    ('/{a}/{b}', '/{c}/d'),
    (r'/{id:\d+}', '/12'),
    (r'/n/{a:\d+}', r'/n/{b:\d+}'),
    ('/static/{path:.*}', '/static/x/y'),
    ('/static/{path:.*}', '/static/{name}'),
    ('/static/{path:.*}', '/static/'),
    ('/{rest:.+}', '/a/b'),
    ('/files/{p:.+}', '/files/{name}'),
    ('/{x:[^/]+}', '/{y}'),
    ('/{a}-{b}', '/{c}-{d}'),
    ('/v/*rest', '/v/a/b'),
])
def test_routecheck_shadowed(earlier, later):
    found = [p for p in problems_of(earlier, later) if p[0] == 'shadowed']
    assert found == [('shadowed', 'r1', 'r0')]


@pytest.mark.parametrize('earlier, later', [
    ('/all', '/{title}'),
    (r'/{id:\d+}', '/{name}'),
    ('/static/{path:.*}', '/static'),
    ('/files/{p:.+}', '/files/'),
    ('/a/{x}', '/a/b/c'),
    ('/{x}.json', '/{y}'),
    ('/{x:[a-z]+}', '/{y}'),
    ('/{x:[a-z]+}', '/A'),
    ('/a/b', '/a/{x}'),
    ('/{y}', '/{x}.json'),
    ('/{title}', '/'),
    ('/a{.format}', '/a{.fmt}'),  # {.format} parts are left out: never reported
])
def test_routecheck_not_shadowed(earlier, later):
    assert [p for p in problems_of(earlier, later) if p[0] == 'shadowed'] == []


@pytest.mark.parametrize('earlier, later, covered', [
    ('/static/{path:.*}', '/static', False), ('/static/{path:.*}', '/static/', True),
    ('/f/{p:.+}', '/f/', False), (r'/f/{p:.+}', r'/f/{n:\d*}', False),
    ('/f/{p:.+}', '/f/{n}', True), ('/f/{p:.+}', '/f/a/', True)])
def test_routecheck_covers_tails(earlier, later, covered):
    # The structural decision alone, before a sample path confirms it.
    routes = table((earlier, ('GET',)), (later, ('GET',)))
    mine, theirs = (_segments(route) for route in routes.routes)
    assert _covers(mine, theirs) is covered


def test_routecheck_other_methods_do_not_shadow():
    assert check_routes(table(('/x', ('POST',)), ('/x', ('GET',)))) == []


def test_routecheck_shadowed_for_some_methods():
    [problem] = check_routes(table(('/x', ('GET',)), ('/{y}', ('GET',)),
                                   ('/x', ('GET', 'POST'))))
    assert (problem.route.name, problem.other.name) == ('r2', 'r0')
    assert problem.methods == ('GET', 'HEAD')
    assert str(problem) == ("route 'r2' (GET /x) is shadowed by route 'r0' (/x), "
                            'connected before it: it never matches for GET')


def test_routecheck_methods_taken_by_two_routes():
    found = check_routes(table(('/x', ('GET',)), ('/x', ('POST',)), ('/x', ('GET', 'POST'))))
    assert [(p.other.name, p.methods) for p in found] == [('r0', ('GET', 'HEAD')),
                                                          ('r1', ('POST',))]


def test_routecheck_mount_shadows_what_is_under_it():
    routes = Dispatcher()
    routes.mount('blog', '/blog', view)
    routes.connect('post', '/blog/{slug}', view=view)
    routes.connect('blogger', '/blogger', view=view)
    routes.connect('itself', '/blog', view=view, methods=('POST',))
    found = check_routes(routes)
    assert [(p.route.name, p.other.name) for p in found] == [('post', 'blog'), ('itself', 'blog')]


def test_routecheck_mount_after_mount():
    routes = Dispatcher()
    routes.mount('a', '/a', view)
    routes.mount('b', '/a/b', view)
    routes.mount('c', '/c', view)
    [problem] = check_routes(routes)
    assert (problem.route.name, problem.other.name, problem.methods) == ('b', 'a', ('*',))


def test_routecheck_round_trip_to_another_route():
    # "a.b" in {name} is taken by the earlier "{stem}.{ext}" route.
    routes = Dispatcher()
    routes.connect('file', '/f/{stem}.{ext}', view=view)
    routes.connect('name', '/f/{name}', view=view)
    [problem] = check_routes(routes)
    assert problem.kind == 'round-trip' and problem.other is None
    assert problem.route.name == 'name' and "routes to route 'file'" in problem.detail
    assert problem.methods == ('GET',)


def test_routecheck_other_method_on_the_same_path_is_no_problem():
    # The dispatcher passes over a route whose method differs.
    routes = Dispatcher()
    routes.connect('file', '/f/{stem}.{ext}', view=view, methods=('POST',))
    routes.connect('name', '/f/{name}', view=view, methods=('DELETE',))
    assert check_routes(routes) == []


def test_routecheck_round_trip_clean_tables():
    routes = Dispatcher()
    routes.connect('page', '/wiki/{title}', view=view)
    routes.connect('item', r'/items/{id:\d+}', view=view, methods=('GET', 'DELETE'))
    routes.connect('file', '/files/{path:.*}', view=view)
    routes.connect('home', '/', view=view)
    routes.mount('legacy', '/legacy', view)
    assert check_routes(routes) == []


def test_routecheck_route_back_under_script_name():
    routes = table(('/a/{x}', ('GET',)))
    route = routes.routes[0]
    assert _routes_back(routes, route, 'GET', {'x': 'y'}, '/m%C3%A9%20p/a/y', '/mé p') is None
    problem = _routes_back(routes, route, 'GET', {'x': 'y'}, '/mount/a/y', '/mé p')
    assert 'does not start with the mount point' in problem
    problem = _routes_back(routes, route, 'GET', {'x': 'y'}, '/a/%FF', '')
    assert 'not UTF-8' in problem
    problem = _routes_back(routes, route, 'GET', {'x': 'y'}, '/b', '')
    assert 'matches no route' in problem
    problem = _routes_back(routes, route, 'GET', {'x': 'z'}, '/a/y', '')
    assert "matches with {'x': 'y'}" in problem


def test_routecheck_warns_at_first_use(caplog):
    routes = table(('/{title}', ('GET',)), ('/all', ('GET',)))
    app = TestApp(routes)
    with caplog.at_level(logging.WARNING, logger='webkit'):
        app.get('/all')
        app.get('/all')
    warnings = [r for r in caplog.records if r.name == 'webkit']
    assert len(warnings) == 1
    assert "route 'r1' (GET /all) is shadowed by route 'r0'" in warnings[0].getMessage()


def test_routecheck_clean_table_logs_nothing(caplog):
    with caplog.at_level(logging.WARNING, logger='webkit'):
        TestApp(table(('/all', ('GET',)), ('/{title}', ('GET',)))).get('/x')
    assert [r for r in caplog.records if r.name == 'webkit'] == []


shadowed_app = table(('/{title}', ('GET',)), ('/all', ('GET',)))
clean_app = table(('/all', ('GET',)), ('/{title}', ('GET',)))


def test_routecheck_routes_command_check(capsys):
    assert main(['routes', '--check', 'tests.test_routecheck:shadowed_app']) == 1
    out = capsys.readouterr().out
    assert "route 'r1' (GET /all) is shadowed by route 'r0' (/{title})" in out
    assert out.rstrip().endswith('tests.test_routecheck:shadowed_app: 1 route problem(s)')
    assert main(['routes', '--check', 'tests.test_routecheck:clean_app']) == 0
    assert main(['routes', 'tests.test_routecheck:shadowed_app']) == 0


def test_routecheck_in_lint():
    findings = [f for f in check_app(shadowed_app) if f.check.startswith('route-')]
    assert [(f.check, f.severity, f.path) for f in findings] == [
        ('route-shadowed', 'error', '/all')]
    findings = [f for f in check_app(table(('/f/{stem}.{ext}', ('GET',)), ('/f/{n}', ('GET',))))
                if f.check.startswith('route-')]
    assert [f.check for f in findings] == ['route-round-trip']


def test_routecheck_repr():
    [problem] = check_routes(shadowed_app)
    assert repr(problem) == "RouteProblem('shadowed', 'r1', 'r0', ('GET', 'HEAD'), '')"


# -- soundness: a route reported shadowed never gets a request ---------------

# One-letter variable names, renamed x0, x1, ... so that none repeats in a route.
SEGMENTS = st.sampled_from(['a', 'b', '{v}', r'{n:\d+}', '{w:[^/]+}'])
TAILS = st.sampled_from(['', '/{t:.*}', '/{u:.+}'])
VALUES = st.text(alphabet='ab1-.', min_size=1, max_size=4)


@st.composite
def templates(draw):
    parts = [*draw(st.lists(SEGMENTS, max_size=3))]
    path = '/' + '/'.join(parts) + draw(TAILS)
    pieces = path.split('{')
    return pieces[0] + ''.join(f'{{x{number}{piece[1:]}'
                               for number, piece in enumerate(pieces[1:]))


@settings(max_examples=150, deadline=None)
@given(st.lists(templates(), min_size=2, max_size=4), st.data())
def test_routecheck_shadowed_routes_get_no_requests(paths, data):
    routes = Dispatcher()
    for number, path in enumerate(paths):
        routes.connect(f'r{number}', path, view=view)
    for problem in check_routes(routes):
        if problem.other is None:
            continue
        route = problem.route
        for _ in range(5):
            values = {var: data.draw(VALUES) for var in route.variables}
            try:
                path = route.generate(values)
            except Exception:
                continue
            found, _ = routes.match(unquote(path), 'GET')
            assert found is not route, (paths, path)
