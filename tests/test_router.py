"""The route tree: the same answers as trying every route's expression in order."""
import re
import tempfile
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir

from webkit import ConfigurationError, Dispatcher, HTTPMethodNotAllowed, HTTPRouteNotFound
from webkit._router import Router, _parser, _set_excludes_slash, _slash_free, _within_segment
from webkit.route import sort_methods

set_hypothesis_home_dir(Path(tempfile.gettempdir()) / 'webkit-hypothesis')


def view(req, **urlvars):
    return 'ok'


def table(*specs):
    """A dispatcher from ``(path, methods)`` or ``(path, methods, requirements)``."""
    routes = Dispatcher()
    for index, (path, methods, *requirements) in enumerate(specs):
        routes.connect(f'r{index}', path, view, methods=methods,
                       requirements=requirements[0] if requirements else None)
    return routes


def one_by_one(routes, path, method):
    """The reference: each route's expression in connection order, as before the tree."""
    allowed = None
    for route in routes.routes:
        urlvars = route.match(path)
        if urlvars is None:
            continue
        if method in route.methods:
            return route.name, urlvars
        allowed = route.methods if allowed is None else allowed | route.methods
    return None, None if allowed is None else tuple(sort_methods(allowed | {'OPTIONS'}))


def lookup(routes, path, method='GET'):
    route, found = routes._lookup(path, method)
    return (route.name, found) if route is not None else (None, found)


@pytest.mark.parametrize('path, expected', [
    ('/api/r1/view/x', ('r1', {'item': 'x'})),
    ('/api/r2/view/x', ('r3', {'v': 'r2', 'item': 'x'})),   # the first connected wins
    ('/api/zz/view/x', ('r3', {'v': 'zz', 'item': 'x'})),
    ('/api/r0/view/x', ('r0', {'item': 'x'})),              # r0 comes before r3
    ('/api/r1/view', ('r4', {'rest': 'r1/view'})),
    ('/api/r1/view/x/y', ('r4', {'rest': 'r1/view/x/y'})),
])
def test_router_first_connected_wins(path, expected):
    routes = table(('/api/r0/view/{item}', 'GET'), ('/api/r1/view/{item}', 'GET'),
                   ('/api/r9/view/{item}', 'GET'), ('/api/{v}/view/{item}', 'GET'),
                   ('/api/{rest:.*}', 'GET'), ('/api/r2/view/{item}', 'GET'))
    assert lookup(routes, path) == expected == one_by_one(routes, path, 'GET')


@pytest.mark.parametrize('path, expected', [
    ('/n/12/edit', ('r0', {'id': '12'})),
    ('/n/ab/edit', ('r1', {'name': 'ab'})),
    ('/n/a-b/edit', ('r2', {'any': 'a-b'})),
    ('/n/a/b/edit', ('r3', {'path': 'a/b'})),
])
def test_router_keeps_requirements(path, expected):
    routes = table(('/n/{id}/edit', 'GET', {'id': r'\d+'}),
                   ('/n/{name:[a-z]+}/edit', 'GET'),
                   ('/n/{any:[^/]+}/edit', 'GET'),
                   ('/n/{path:[a-z/]+}/edit', 'GET'))
    assert lookup(routes, path) == expected == one_by_one(routes, path, 'GET')


@pytest.mark.parametrize('path, expected', [
    ('/f/page.json', ('r0', {'name': 'page', 'format': 'json'})),
    ('/f/page', ('r0', {'name': 'page', 'format': None})),
    ('/g/r7.txt', ('r1', {'id': '7'})),
    ('/files/a/b/c.txt', ('r2', {'path': 'a/b/c.txt'})),
    ('/files/', ('r2', {'path': ''})),
    ('/star/a/b', ('r3', {'rest': 'a/b'})),
    ('/', ('r4', {'path': ''})),
    ('/anything/else', ('r4', {'path': 'anything/else'})),
])
def test_router_formats_and_greedy_variables(path, expected):
    routes = table(('/f/{name}{.format}', 'GET'), ('/g/r{id}.txt', 'GET'),
                   ('/files/{path:.*}', 'GET'), ('/star/*rest', 'GET'),
                   ('/{path:.*}', 'GET'))
    assert lookup(routes, path) == expected == one_by_one(routes, path, 'GET')


def test_router_method_not_allowed_collects_every_shared_prefix_route():
    routes = table(('/api/items/{id}', 'GET'), ('/api/items/{id}', ['PUT', 'DELETE']),
                   ('/api/{kind}/{id}', 'PATCH'), ('/api/other/{id}', 'POST'),
                   ('/{path:.*}', 'OPTIONS'))
    with pytest.raises(HTTPMethodNotAllowed) as info:
        routes.match('/api/items/3', 'POST')
    assert info.value.allowed == ('GET', 'HEAD', 'PUT', 'PATCH', 'DELETE', 'OPTIONS')
    assert routes.match('/api/items/3', 'PATCH')[0].name == 'r2'
    with pytest.raises(HTTPRouteNotFound):
        table(('/api/items/{id}', 'GET')).match('/api/items/3/x', 'GET')


def test_router_path_without_leading_slash_reaches_only_unanchored_routes():
    routes = table(('/a', 'GET'), ('/{path:.*}', 'GET'))
    assert [route.name for route in Router(routes.routes).candidates('a')] == ['r1']
    assert lookup(routes, 'a') == (None, None) == one_by_one(routes, 'a', 'GET')


@pytest.mark.parametrize('pattern, slash_free', [
    (r'\d+', True), (r'[a-z0-9_-]+', True), (r'[^/]+', True), (r'[^/a]+', True),
    (r'(?:\d+)(?:-\d+)?', True), (r'\w+|\d+', True), (r'[^\W]+', True), ('(?i)abc', True),
    (r'.*', False), (r'[^x]+', False), (r'\S+', False), (r'\D', False), (r'a|b/c', False),
    (r'[\W]', False), (r'(a)\1', False), (r'[/]', False), (r'(.*)', False),
    (r'(?>\d+)', True), (r'(?>.)', False), (r'(?i)[a-z]+', True),
])
def test_router_reads_which_requirements_stay_in_a_segment(pattern, slash_free):
    assert _slash_free(_parser.parse(pattern)) is slash_free


def test_router_assumes_the_worst_of_what_it_cannot_read():
    # Neither arises from a route webkit accepts; each must mean "may hold /".
    unparsable = SimpleNamespace(reqs={'x': 'a)(b'})
    assert not _within_segment(unparsable, {'name': 'x', 'type': ':'})
    assert not _set_excludes_slash([(_parser.ANY, None)])


@pytest.mark.parametrize('count', [10, 1000])
def test_router_narrows_large_tables_to_one_candidate(count):
    shapes = ['/api/r{i}/view/{{item}}', '/{{lang}}/r{i}/view/{{item}}',
              '/api/{{version}}/r{i}/{{item}}/edit']
    for shape in shapes:
        routes = table(*[(shape.format(i=i), 'GET') for i in range(count)])
        path = shape.format(i=count - 1).replace('{item}', 'x').replace(
            '{lang}', 'en').replace('{version}', 'v1')
        assert [r.name for r in Router(routes.routes).candidates(path)] == [f'r{count - 1}']
        assert lookup(routes, path)[0] == f'r{count - 1}'
        assert not Router(routes.routes).candidates(path.replace(f'r{count - 1}', 'nothere'))


# -- differential: generated tables and paths ------------------------------------

# Segments of every kind the tree tells apart: literal, within one segment
# (plain, partial, {.format}, requirements without "/"), and able to hold "/".
LITERALS = ['a', 'b', 'api', 'r1', 'x.json']
PIECES = st.sampled_from([
    'a', 'b', 'api', 'r1', '', '{v}', 'r{v}', '{v}.json', '{v}{.format}', '{v:\\d+}',
    '{v:[ab]+}', '{v:.*}', '{v:[^/]+}', '*v', '{v:a|b/a}', '{v}-{w}',
    '{v:[^xy]+}', '{v:[a/]+}',
])
SEGMENTS = st.sampled_from(LITERALS + ['', '1', '12', 'a.json', 'a-b', 'r', 'x'])


def _template(pieces):
    """A route path of one segment per piece, each variable named apart."""
    counter = iter(range(100))
    text = ''
    for piece in pieces:
        text += '/' + piece.replace('{v', '{v%d' % next(counter)).replace(
            '{w}', '{w%d}' % next(counter)).replace('*v', '*v%d' % next(counter))
    return text or '/'


ROUTE = st.tuples(st.lists(PIECES, min_size=0, max_size=4),
                  st.sampled_from([('GET',), ('POST',), ('GET', 'PUT')]),
                  # defaults: for a variable of the path (when it has one), or another name
                  st.sampled_from([{}, {}, {'v0': 'd'}, {'extra': 'e'}]))


VALUES = st.sampled_from(['a', '1', 'a/b', 'r1/a', 'b/a', '', 'x.json', '1/2/a'])
VARIABLE = re.compile(r'\{[^{}]*(?:\{[^{}]*\}[^{}]*)*\}|\*v\d+')


@settings(max_examples=200, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(specs=st.lists(ROUTE, min_size=1, max_size=8),
       paths=st.lists(st.lists(SEGMENTS, max_size=5), min_size=1, max_size=4),
       method=st.sampled_from(['GET', 'POST', 'DELETE']), data=st.data())
def test_router_agrees_with_trying_each_route_in_order(specs, paths, method, data):
    routes = Dispatcher()
    for index, (pieces, methods, defaults) in enumerate(specs):
        try:
            routes.connect(f'r{index}', _template(pieces), view, methods=methods, **defaults)
        except ConfigurationError:  # e.g. a requirement Routes cannot use there
            pass
    tried = ['/' + '/'.join(segments) for segments in paths]
    for route in routes.routes:  # paths shaped like the routes, variables filled in
        tried.append(VARIABLE.sub(lambda m: data.draw(VALUES), route.path))
    for path in tried:
        assert lookup(routes, path, method) == one_by_one(routes, path, method), path
