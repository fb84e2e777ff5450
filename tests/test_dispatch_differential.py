"""``Dispatcher`` side by side with a ``routes.Mapper`` configured as webkit does.

Generated route tables (literals with non-ASCII and characters that need
quoting, ``{var}``, ``{var:regex}`` with ``?``, ``|``, groups and
classes, ``{.format}``, ``*path``, defaults) and generated paths:

- recognition agrees with Routes (same route, same variables), except
  that webkit matches the whole path (a Routes regex ending in ``$``
  also matches before a final newline) and tries routes in the order
  connected (Routes 2.5 tries longer literal prefixes first);
- every URL webkit generates routes back to the same route and values,
  and a value whose path would route back is not refused;
- where Routes can generate the URL too, it is the same.

Each difference on purpose is named in ``DIFFERENCES``, asserted by a
``difference_*`` function or a test of its own, and is a section of
``docs/differences.rst``.
"""
import itertools
import os
import re
import string
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

import pytest
import webob
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from routes import Mapper

from webkit import Dispatcher
from webkit.exc import ConfigurationError, HTTPRouteNotFound, URLGenerationError

DOCS = Path(__file__).resolve().parent.parent / 'docs' / 'differences.rst'
# The same examples on every run; WEBKIT_EXAMPLES=5000 explores further, at random.
EXPLORE = int(os.environ.get('WEBKIT_EXAMPLES', '0'))
SETTINGS = settings(max_examples=EXPLORE or 150, derandomize=not EXPLORE, deadline=None,
                    database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                           HealthCheck.data_too_large])

#: Each deliberate difference: the title of its section in docs/differences.rst.
DIFFERENCES = {
    'whole_path': 'A route matches the whole path',
    'undecodable_path': 'Undecodable input is a 400',
    'controller_variable': '{controller} is refused',
    'generation': 'URL generation quotes, checks and refuses',
    'route_order': 'Routes are tried in the order connected',
}


def view(req, **urlvars):
    return repr(sorted(urlvars.items()))


# -- route tables -----------------------------------------------------------------

# Literal characters: unreserved, non-ASCII, and some that need quoting. Not
# ":" or "*" (Routes starts a variable there), "\\", "{", "}", "?" or "#".
LITERAL = 'abcxyz09-_.~é中 %+&=@!$\'(),;[]'
# Requirements go inline ({id:regex}) or in requirements=; those with braces
# only in requirements=, as a path template cannot hold them.
REQUIREMENTS = [r'\d+', r'[a-z]+', r'[^./]+?', r'\d+(?:-\d+)?', r'a|bc', r'(?:en|fr)',
                r'[0-9a-f]{2,4}', r'[^/]+', r'.*', r'x?y', r'[A-Z][a-z]*',
                r'(?:[a-z]+-)*[a-z]+', r'é+', r'[^/]*', r'(a|b)c?', r'[.]{0,2}x',
                # Some that may hold "/", plainly or not: a range around it, a
                # negated class or category, an escape, a literal slash.
                r'[!-0]+', r'\D+', r'[^a-z]+', r'\W', r'\d+/\d+', r'\x2f?a',
                r'(?:x|/)+', r'[\s\S]*', r'(?s:.)+', r'(?i:A)/?']

#: Where Routes' output is compared: values and literals that need no quoting.
PLAIN = string.ascii_letters + string.digits + '_-'
PLAIN_REQUIREMENTS = [r for r in REQUIREMENTS if not set(r) & set('é./')]


@st.composite
def segment(draw, index, last, plain):
    """One path segment: a list of parts, variables named ``v{index}_{n}``."""
    parts = []
    for n in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(['literal', 'literal', 'var', 'var']))
        if kind == 'literal':
            parts.append(('literal', draw(st.text(PLAIN if plain else LITERAL,
                                                  min_size=1, max_size=4))))
        else:
            requirement = draw(st.none() | st.sampled_from(
                PLAIN_REQUIREMENTS if plain else REQUIREMENTS))
            inline = requirement is None or '{' not in requirement
            parts.append(('var', f'v{index}_{n}', requirement,
                          inline and draw(st.booleans())))
    # A segment "." or "..": browsers resolve it away, connect() refuses it.
    assume(not all(p[0] == 'literal' for p in parts)
           or ''.join(p[1] for p in parts) not in ('.', '..'))
    if last:
        ending = draw(st.sampled_from(['plain', 'plain', 'format', 'star']))
        if ending == 'format':
            parts.append(('format', 'fmt', draw(st.none() | st.just(
                'a|x1' if plain else 'json|xml'))))
        elif ending == 'star':
            parts = [('star', 'rest')]
    return parts


def default_for(requirement, plain):
    if requirement is None:
        return st.text('abc', min_size=1, max_size=2)
    return st.from_regex(requirement, fullmatch=True, alphabet=PLAIN if plain else None
                         ).filter(lambda v: 0 < len(v) < 6 and '\n' not in v)


@st.composite
def route_spec(draw, plain=False):
    size = draw(st.integers(0, 3))
    segments = [draw(segment(i, i == size - 1, plain)) for i in range(size)]
    trailing_slash = bool(segments) and draw(st.booleans()) and \
        segments[-1][-1][0] not in ('star', 'format')
    names = [p[1] for s in segments for p in s if p[0] != 'literal']
    requirements = {p[1]: p[2] for s in segments for p in s if p[0] in ('var', 'format')}
    defaults = {}
    for name in names:
        if draw(st.integers(0, 4)) == 0:  # a default its requirement matches
            defaults[name] = draw(default_for(requirements.get(name), plain))
    if draw(st.booleans()):
        defaults['lang'] = 'en'  # a default not in the path: always in urlvars
    return {'segments': segments, 'trailing_slash': trailing_slash, 'defaults': defaults}


def template(spec, style):
    """``(path, requirements)``: webkit's path (inline regexes) or Routes' (none inline)."""
    requirements = {}
    out = []
    for parts in spec['segments']:
        text = ''
        for part in parts:
            if part[0] == 'literal':
                text += part[1]
            elif part[0] == 'star':
                text += '*' + part[1]
            else:
                kind, name, requirement = part[:3]
                dot = '.' if kind == 'format' else ''
                if requirement is not None and style == 'webkit' and part[-1] is True:
                    text += '{%s%s:%s}' % (dot, name, requirement)
                else:
                    text += '{%s%s}' % (dot, name)
                    if requirement is not None:
                        requirements[name] = requirement
        out.append(text)
    path = '/' + '/'.join(out) + ('/' if spec['trailing_slash'] else '')
    return path, requirements


def webkit_table(specs):
    dispatcher = Dispatcher()
    for i, spec in enumerate(specs):
        path, requirements = template(spec, 'webkit')
        dispatcher.connect(f'r{i}', path, view, requirements=requirements or None,
                           **spec['defaults'])
    return dispatcher


def routes_table(specs, strict):
    """A Mapper configured as webkit configures its own; ``strict``: ``\\Z``, not ``$``."""
    mapper = Mapper(explicit=True, register=False, controller_scan=None)
    mapper.minimization = False
    for i, spec in enumerate(specs):
        path, requirements = template(spec, 'routes')
        mapper.connect(f'r{i}', path, requirements=requirements, **spec['defaults'])
    mapper.create_regs([])
    if strict:
        for route in mapper.matchlist:
            assert route.regexp.endswith('$')
            route.regmatch = re.compile(route.regexp[:-1] + r'\Z')
    return mapper


def routes_match(mapper, path):
    """What ``Mapper.routematch`` finds."""
    found = mapper.routematch(path)
    return None if found is None else (found[1].name, found[0])


def ordered_match(mapper, path):
    """The first of Routes' own routes, in the order connected, that matches."""
    for route in mapper.matchlist:
        found = route.match(path)
        if found is not False:
            return route.name, found
    return None


def static_prefix(route):
    return ''.join(itertools.takewhile(lambda p: isinstance(p, str), route.routelist))


def webkit_match(dispatcher, path):
    try:
        route, urlvars = dispatcher.match(path, 'GET')
    except HTTPRouteNotFound:
        return None
    return route.name, urlvars


# -- paths -------------------------------------------------------------------------

value_text = st.text('abc-é/.%\n 1', max_size=5)


def value_for(draw, requirement, slash, plain=False):
    if plain:
        if requirement is None:
            return draw(st.text(PLAIN, min_size=1, max_size=4))
        return draw(st.from_regex(requirement, fullmatch=True, alphabet=PLAIN).filter(
            lambda v: 0 < len(v) < 8))
    if requirement is not None and draw(st.integers(0, 3)):
        return draw(st.from_regex(requirement, fullmatch=True).filter(lambda v: len(v) < 12))
    text = draw(value_text)
    return text if slash else text.replace('/', '')


@st.composite
def path_for(draw, spec):
    """A path built for ``spec``, sometimes changed a little."""
    out = []
    for parts in spec['segments']:
        text = ''
        for part in parts:
            if part[0] == 'literal':
                text += part[1]
            elif part[0] == 'star':
                text += value_for(draw, None, slash=True)
            elif part[0] == 'format':
                if draw(st.booleans()):
                    text += '.' + value_for(draw, part[2], slash=False)
            else:
                text += value_for(draw, part[2], slash=False)
        out.append(text)
    path = '/' + '/'.join(out) + ('/' if spec['trailing_slash'] else '')
    change = draw(st.sampled_from(['none', 'none', 'newline', 'slash', 'chop', 'inner']))
    if change == 'newline':
        path += '\n'
    elif change == 'slash':
        path += '/'
    elif change == 'chop':
        path = path[:-1] or '/'
    elif change == 'inner':
        at = draw(st.integers(0, len(path)))
        path = path[:at] + draw(st.sampled_from(['\n', '/', '.', 'é', '%0A'])) + path[at:]
    return path


tables = st.lists(route_spec(), min_size=1, max_size=4)


# -- (a) recognition ---------------------------------------------------------------

def difference_whole_path(strict, ours, path):
    """Routes' ``$`` also matches before a final newline ("/admin/users\\n");
    webkit matches the whole path only: it finds what the whole path
    matches, or nothing."""
    assert path.endswith('\n')
    assert ours in (strict, None)


def difference_route_order(mapper, theirs, in_order):
    """Routes 2.5 tries routes with a longer literal prefix first (its
    ``_prefix2routes`` index), so ``/ab`` wins over an earlier ``/{x}``;
    webkit tries routes in the order they were connected, as Routes'
    documentation says."""
    by_name = {route.name: route for route in mapper.matchlist}
    found, first = by_name[theirs[0]], by_name[in_order[0]]
    assert mapper.matchlist.index(found) > mapper.matchlist.index(first)
    assert len(static_prefix(found)) > len(static_prefix(first))


@SETTINGS
@given(specs=tables, data=st.data())
def test_dispatcher_recognizes_as_routes_does(specs, data):
    dispatcher = webkit_table(specs)
    loose, strict = routes_table(specs, strict=False), routes_table(specs, strict=True)
    for _ in range(4):
        spec = data.draw(st.sampled_from(specs))
        path = data.draw(path_for(spec) | st.text('/abé.\n', max_size=6).map('/'.__add__))
        ours = webkit_match(dispatcher, path)
        theirs, whole = ordered_match(loose, path), ordered_match(strict, path)
        if routes_match(loose, path) != theirs:
            difference_route_order(loose, routes_match(loose, path), theirs)
        if theirs != whole:
            difference_whole_path(whole, ours, path)
        else:
            assert ours == theirs, (path, [template(s, 'webkit') for s in specs])


@pytest.mark.parametrize('pattern, path, allowed', [
    ('/admin/users', '/admin/users\n', [None]),
    (r'/items/{id:\d+}', '/items/5\n', [None]),
    # Without a requirement the newline may be part of the value, as inside a path.
    ('/items/{id}', '/items/5\n', [None, ('r', {'id': '5\n'})]),
])
def test_dispatcher_trailing_newline_never_matches_what_routes_matches(pattern, path, allowed):
    """The documented difference 'whole_path'."""
    dispatcher = Dispatcher()
    dispatcher.connect('r', pattern, view)
    mapper = Mapper(explicit=True, register=False, controller_scan=None)
    mapper.minimization = False
    mapper.connect('r', pattern)
    mapper.create_regs([])
    assert routes_match(mapper, path) == ('r', {'id': '5'} if '{' in pattern else {})
    assert webkit_match(dispatcher, path) in allowed


@pytest.mark.parametrize('path_info', ['/caf\xe9', '/\xff\xfe'])
def test_dispatcher_undecodable_path_is_a_400(path_info):
    """The documented difference 'undecodable_path': Routes matches the
    latin-1 reading of the bytes, webkit answers 400."""
    dispatcher = Dispatcher()
    dispatcher.connect('r', '/{name}', view)
    req = webob.Request.blank('/', environ={'PATH_INFO': path_info})
    assert req.get_response(dispatcher).status_int == 400


# -- (b) generation ---------------------------------------------------------------

def naive_path(spec, values):
    """The decoded path for ``values``: what a generated URL must decode to."""
    out = []
    for parts in spec['segments']:
        text = ''
        for part in parts:
            if part[0] == 'literal':
                text += part[1]
            elif part[0] == 'format':
                value = values.get(part[1], spec['defaults'].get(part[1]))
                if value not in (None, ''):
                    text += '.' + str(value)
            else:
                text += str(values.get(part[1], spec['defaults'].get(part[1])))
        out.append(text)
    return '/' + '/'.join(out) + ('/' if spec['trailing_slash'] else '')


def expected_urlvars(spec, values):
    found = {**spec['defaults'], **{k: str(v) for k, v in values.items()}}
    if any(p[0] == 'format' for s in spec['segments'] for p in s):
        found.setdefault('fmt', None)
    return found


def refusal_is_documented(path):
    """A URL webkit may refuse to build, though Routes' regex would match it."""
    segments = path.split('/')
    return (path.startswith('//')                     # read as another host
            or any(s in ('.', '..') for s in segments))  # removed by URL normalization


@st.composite
def values_for(draw, spec, plain=False):
    values = {}
    for parts in spec['segments']:
        for part in parts:
            if part[0] == 'literal':
                continue
            if part[1] in spec['defaults'] and draw(st.booleans()):
                continue  # the default is used
            if part[0] == 'format':
                value = value_for(draw, part[2], False, plain)
                if value and draw(st.booleans()):  # '' would mean "no format" too
                    values[part[1]] = value
            elif part[0] == 'star':
                values[part[1]] = value_for(draw, None, True, plain)
            else:
                values[part[1]] = value_for(draw, part[2], False, plain)
    return values


extras = st.dictionaries(st.sampled_from(['q', 'page', 'tag']),
                         st.text('ab é&=', max_size=3) | st.lists(
                             st.text('ab', max_size=2), max_size=2), max_size=2)


@SETTINGS
@given(spec=route_spec(), data=st.data())
def test_dispatcher_generated_urls_route_back(spec, data):
    dispatcher = webkit_table([spec])
    strict = routes_table([spec], strict=True)
    values = data.draw(values_for(spec))
    query = data.draw(extras)
    naive = naive_path(spec, values)
    reachable = ordered_match(strict, naive) == ('r0', expected_urlvars(spec, values))
    try:
        url = dispatcher.url('r0', **values, **query)
    except URLGenerationError as error:
        assert error.name == 'r0'
        assert not reachable or refusal_is_documented(naive), (naive, error)
        return
    parts = urlsplit(url)
    assert not url.endswith('?') and not url.startswith('//')
    path = unquote(parts.path, errors='strict')
    expected = expected_urlvars(spec, values)
    assert webkit_match(dispatcher, path) == ('r0', expected), url
    # And as a request: the URL as a client sends it, decoded by webkit's Request.
    resp = webob.Request.blank(url).get_response(dispatcher)
    assert (resp.status_int, resp.text) == (200, view(None, **expected)), url
    expected_query = [(k, v) for k, vs in query.items()
                      for v in (vs if isinstance(vs, list) else [vs])]
    assert parse_qsl(parts.query, keep_blank_values=True) == expected_query


def routes_url(mapper, values):
    url = mapper.matchlist[0].generate(_ignore_req_list=False, **values)
    return url if isinstance(url, str) else None


@SETTINGS
@given(spec=route_spec(plain=True), data=st.data())
def test_dispatcher_generates_what_routes_generates(spec, data):
    """Where both can: plain values, literals that need no quoting."""
    # Routes generates only when given every variable and default, webkit
    # uses the defaults itself: both are given all of them.
    values = {**spec['defaults'], **data.draw(values_for(spec, plain=True))}
    theirs = routes_url(routes_table([spec], strict=True), dict(values))
    assume(theirs is not None)
    try:
        ours = webkit_table([spec]).url('r0', **values)
    except URLGenerationError:
        # Routes' URL is one webkit refuses, or one that reads back otherwise.
        back = ordered_match(routes_table([spec], strict=True), unquote(theirs))
        assert refusal_is_documented(theirs) or back != ('r0', expected_urlvars(spec, values))
    else:
        assert ours == theirs


@pytest.mark.parametrize('pattern, values, path', [
    ('/w/{title}', {'title': '...x'}, '/w/...x'),
    ('/w/{title}', {'title': 'x..'}, '/w/x..'),
    ('/w/{a}.{b}', {'a': '.', 'b': 'x'}, '/w/..x'),
])
def test_dispatcher_dots_inside_a_segment_are_not_dot_segments(pattern, values, path):
    dispatcher = Dispatcher()
    dispatcher.connect('r', pattern, view)
    assert unquote(dispatcher.url('r', **values)) == path
    assert webkit_match(dispatcher, path) == ('r', values)


@pytest.mark.parametrize('values', [{'title': '\ud800'}, {'title': 'a', 'q': '\udfff'}])
def test_dispatcher_lone_surrogate_is_a_url_generation_error(values):
    dispatcher = Dispatcher()
    dispatcher.connect('r', '/w/{title}', view)
    with pytest.raises(URLGenerationError) as info:
        dispatcher.url('r', **values)
    assert info.value.name == 'r'


def test_dispatcher_empty_list_argument_adds_no_query():
    dispatcher = Dispatcher()
    dispatcher.connect('r', '/w/{title}', view)
    assert dispatcher.url('r', title='a', x=[]) == '/w/a'
    assert dispatcher.url('r', title='a', x=[], y=['1', '2']) == '/w/a?y=1&y=2'


# -- (c) {controller}; (d) requirements holding "?" -----------------------------

@pytest.mark.parametrize('pattern, values, path', [
    ('/{controller}', {'controller': 'blog'}, '/blog'),
    ('/{controller}/{action}/{id}', {'controller': 'blog', 'action': 'view', 'id': '3'},
     '/blog/view/3'),
    ('/x/{controller:[a-z]+}', {'controller': 'blog'}, '/x/blog'),
])
def test_dispatcher_controller_variable_matches_or_is_refused(pattern, values, path):
    """Never "accepted, generates, never matches" (documented: 'controller_variable')."""
    dispatcher = Dispatcher()
    try:
        dispatcher.connect('r', pattern, view)
    except ConfigurationError as error:
        assert error.what == "route 'r'"
        assert dispatcher.routes == []  # refused without a trace
        return
    assert dispatcher.url('r', **values) == path
    assert webkit_match(dispatcher, path) == ('r', values)


@pytest.mark.parametrize('pattern, path, urlvars', [
    ('/p/{slug:[^./]+?}', '/p/abc', {'slug': 'abc'}),
    (r'/i/{id:\d+(?:-\d+)?}', '/i/12-3', {'id': '12-3'}),
    (r'/i/{id:\d+(?:-\d+)?}', '/i/12', {'id': '12'}),
    ('/c/{colour:grey|gray}', '/c/gray', {'colour': 'gray'}),
    ('/o/{x:a?b}', '/o/b', {'x': 'b'}),
    ('/f/{name}{.format:json|xml}', '/f/a.json', {'name': 'a', 'format': 'json'}),
])
def test_dispatcher_accepts_requirements_holding_question_marks(pattern, path, urlvars):
    dispatcher = Dispatcher()
    dispatcher.connect('r', pattern, view)
    assert webkit_match(dispatcher, path) == ('r', urlvars)
    assert unquote(dispatcher.url('r', **urlvars)) == path


@pytest.mark.parametrize('pattern', ['/a?b', '/a#b', '/{x}?q={y}'])
def test_dispatcher_still_refuses_a_query_in_the_path(pattern):
    with pytest.raises(ConfigurationError):
        Dispatcher().connect('r', pattern, view)


@pytest.mark.parametrize('pattern, defaults, values, urlvars', [
    # Routes' requirement check ends in "$" too, and "^a|bc$" takes "a...".
    (r'/i/{id:\d+}', {}, {'id': '5\n'}, {'id': '5\n'}),
    ('/c/{x:a|bc}', {}, {'x': 'abc'}, {'x': 'abc'}),
    ('/c/{x:a|bc}', {}, {'x': 'xbc'}, {'x': 'xbc'}),
    ('/*rest', {}, {'rest': 'a\nb'}, {'rest': 'a\nb'}),  # Routes' ".+?" stops at a newline
    # Each value is fine alone, but the path reads back otherwise.
    ('/f/{name}{.format}', {}, {'name': 'a.b'}, {'name': 'a.b', 'format': None}),
    ('/{a}{b}', {}, {'a': '11', 'b': '1'}, {'a': '11', 'b': '1'}),
    ('/e/{x:[^/]*}', {'x': 'a'}, {'x': ''}, {'x': ''}),
])
def test_dispatcher_never_builds_a_url_of_other_values(pattern, defaults, values, urlvars):
    """Refused, or a URL that routes back to the same values."""
    dispatcher = Dispatcher()
    dispatcher.connect('r', pattern, view, **defaults)
    try:
        url = dispatcher.url('r', **values)
    except URLGenerationError as error:
        assert error.name == 'r'
    else:
        assert webkit_match(dispatcher, unquote(url)) == ('r', urlvars), url


def test_every_difference_is_documented():
    text = DOCS.read_text(encoding='utf-8')
    for name, title in DIFFERENCES.items():
        assert title in text, name
