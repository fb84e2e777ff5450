"""webkit.Response against webob.Response: the same calls give the same response."""
import copy
import inspect
import pickle

import pytest
import webob
from hypothesis import example, given, settings
from hypothesis import strategies as st
from webtest import TestApp

from webkit import Request, Response, wsgify

text = st.text(alphabet=st.characters(codec='utf-8'), max_size=8)
latin = st.text(alphabet=st.characters(codec='latin-1', exclude_characters='\r\n\0'),
                max_size=8)
bodies = st.one_of(st.none(), text, st.binary(max_size=8), st.integers(0, 3))
jsons = st.recursive(st.none() | st.booleans() | st.integers() | text,
                     lambda inner: st.lists(inner, max_size=3)
                     | st.dictionaries(text, inner, max_size=3), max_leaves=6)
# Keyword arguments Response() takes (and a few it refuses).
settings_ = st.fixed_dictionaries({}, optional={
    'status': st.sampled_from([200, '201 Created', 204, '304 Not Modified', '404 Not Found']),
    'content_type': st.sampled_from(['text/plain', 'application/json', 'image/png',
                                     'text/html; charset=latin-1', '']),
    'charset': st.sampled_from(['UTF-8', 'latin-1', None]),
    'json': jsons,
    'headerlist': st.lists(st.tuples(st.sampled_from(['X-A', 'Content-Length', 'Content-Type']),
                                     latin), max_size=2),
    'app_iter': st.lists(st.binary(max_size=4), max_size=2),
    'conditional_response': st.booleans(),
    'cache_control': st.sampled_from(['no-store', 'max-age=3']),
    'no_such_setting': st.just(1),
})
# What a handler does with req.response afterwards.
class Markup(str):
    """A str of another type, as markupsafe's."""


class Data(bytes):
    """bytes of another type."""


# Cookies set with their settings (no max_age: its Expires is the time it
# was set), deleted and unset.
cookie_steps = st.one_of(
    st.tuples(st.just('set_cookie_with'), st.sampled_from(['a', 'b', 'a b']),
              st.fixed_dictionaries({}, optional={
                  'value': st.sampled_from([None, 'x', 'é', 'a;b', '']),
                  'path': st.sampled_from(['/', '/x', None]),
                  'domain': st.sampled_from(['example.org', None]),
                  'secure': st.booleans(), 'httponly': st.booleans(),
                  'samesite': st.sampled_from(['lax', 'Strict', None]),
                  'comment': st.sampled_from(['c', None]),
                  'overwrite': st.booleans()})),
    st.tuples(st.sampled_from(['delete_cookie', 'unset_cookie']), st.sampled_from(['a', 'b'])),
)
steps = st.lists(st.one_of(
    st.tuples(st.just('write'), st.one_of(text, st.binary(max_size=8), st.integers(),
                                           text.map(Markup), st.binary(max_size=8).map(Data))),
    st.tuples(st.just('content_type'), st.sampled_from(
        ['text/plain', 'application/json', 'text/csv; charset=latin-1', 'TEXT/PLAIN',
         'application/xml', 'image/svg+xml', 'text/html', '', None, 3])),
    st.tuples(st.sampled_from(['header', 'held_header']),
              st.sampled_from(['X-Item', 'x-item', 'X-Other', 'Content-Length', 'content-length',
                               'Location', 'content-type', 'Set-Cookie', 3]),
              st.sampled_from(['1', '12', 'x', ' 3', '+4', '١', '/there', 'text/x', 'é', 'a\tb',
                               'a\r\nb', 'text/x; CHARSET="koi8-r"', '', 4])),
    # Headers set and read through WebOb's descriptors, and a view kept from before.
    st.tuples(st.sampled_from(['etag', 'cache_control', 'last_modified']),
              st.sampled_from(['"a"', 'no-store', 3, None])),
    st.tuples(st.sampled_from(['hold_headers', 'del_held_header', 'read_held_header',
                               'copy_headers', 'pickle'])),
    st.tuples(st.just('content_length'), st.sampled_from([None, 0, 5])),
    st.tuples(st.just('charset'), st.sampled_from(['latin-1', 'UTF-8', None])),
    st.tuples(st.just('set_cookie'), st.sampled_from(['a', 'b']), latin),
    cookie_steps,
    st.tuples(st.just('body'), st.binary(max_size=8)),
    st.tuples(st.just('app_iter'), st.lists(st.binary(max_size=4), max_size=2)),
    # Reads, which build a fresh response's header list, and what follows them.
    st.tuples(st.sampled_from(['read_headerlist', 'read_headers', 'read_body', 'read_text',
                               'read_content_type', 'read_content_length', 'copy',
                               'del_app_iter', 'encode_content'])),
    st.tuples(st.just('extend_app_iter'), st.binary(min_size=1, max_size=4)),
    st.tuples(st.just('headerlist'), st.lists(st.tuples(st.sampled_from(
        ['X-A', 'Content-Length', 'Content-Type']), st.sampled_from(['1', 'text/x'])), max_size=2)),
    st.tuples(st.just('status'), st.sampled_from(['404 Not Found', 204, '201 Created'])),
), max_size=5)


def _apply(resp, step):
    kind, *args = step
    if kind == 'write':
        resp.write(*args)
    elif kind == 'hold_headers':
        resp.held = resp.headers
    elif kind == 'held_header':
        getattr(resp, 'held', resp.headers)[args[0]] = args[1]
    elif kind == 'del_held_header':
        getattr(resp, 'held', resp.headers).pop('X-Item', None)
    elif kind == 'copy_headers':
        return repr(resp.headers.copy())
    elif kind == 'pickle':  # a page cache, say
        return pickle.loads(pickle.dumps(resp))
    elif kind == 'read_held_header':
        return repr(getattr(resp, 'held', resp.headers).getall('x-item'))
    elif kind == 'header':
        resp.headers[args[0]] = args[1]
    elif kind == 'set_cookie':
        resp.set_cookie(*args)
    elif kind == 'set_cookie_with':
        resp.set_cookie(args[0], **args[1])
    elif kind == 'delete_cookie':
        resp.delete_cookie(args[0])
    elif kind == 'unset_cookie':
        resp.unset_cookie(args[0], strict=False)
    elif kind == 'app_iter':
        resp.app_iter = iter(args[0])  # a generator-like body, read again by write
    elif kind == 'extend_app_iter':  # a body list changed in place, by whoever holds it
        if isinstance(resp.app_iter, list):
            resp.app_iter.append(args[0])
    elif kind == 'copy':
        return resp.copy()
    elif kind == 'del_app_iter':
        del resp.app_iter
    elif kind == 'encode_content':
        resp.encode_content('gzip')
    elif kind.startswith('read_'):
        return repr(getattr(resp, kind[5:]))
    else:
        setattr(resp, kind, args[0])


def _outcome(cls, body, kw, steps):
    """What building and changing a response of ``cls`` gives: its state or its error."""
    # A body or header list is the response's own, changed in place.
    kw, steps = copy.deepcopy(kw), copy.deepcopy(steps)
    try:
        resp = cls(body, **kw) if body is not None else cls(**kw)
    except Exception as error:
        return 'init', type(error)
    reads = []
    for index, step in enumerate(steps):
        try:
            read = _apply(resp, step)
        except Exception as error:
            return index, type(error), reads
        if isinstance(read, webob.Response):
            resp = read  # carry on with the copy
        elif read is not None:
            reads.append(read.replace('webkit.response.Response', 'webob.response.Response'))
    # Served first: a fresh response is sent without its list being built.
    served = _served(resp, 'HEAD'), _served(resp, 'GET')
    try:
        state = reads, resp.status, list(resp.headerlist), resp.conditional_response, resp.charset
    except Exception as error:  # a header WebOb cannot read back (an int, say)
        state = type(error)
    return state, served


def _served(resp, method):
    """What the response sends when WSGI calls it, or the error it raises."""
    environ = webob.Request.blank('/page', method=method).environ
    started = []
    try:
        body = resp(environ, lambda status, headers, exc_info=None: started.append(
            (status, headers)))
        return started, b''.join(body)
    except Exception as error:
        return type(error)


@settings(max_examples=500, deadline=None)
@given(bodies, settings_, steps)
def test_same_as_webob(body, kw, steps):
    assert _outcome(Response, body, kw, steps) == _outcome(webob.Response, body, kw, steps)


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.none(), text, st.binary(max_size=8), st.integers(0, 3)), steps)
def test_same_as_webob_built_plainly(body, steps):
    # The shapes nearly every handler builds: Response(), Response(str or bytes).
    assert _outcome(Response, body, {}, steps) == _outcome(webob.Response, body, {}, steps)


# What handlers do to the headers of the response they are given.
fresh_steps = st.lists(st.one_of(
    st.tuples(st.sampled_from(['header', 'held_header']),
              st.sampled_from(['X-Item', 'x-item', 'X-Other', 'Set-Cookie', 'Location']),
              st.sampled_from(['1', 'x', 'é', ''])),
    st.tuples(st.just('write'), st.sampled_from(['ab', b'c'])),
    st.tuples(st.just('content_type'), st.sampled_from(['text/plain', 'application/json'])),
    st.tuples(st.sampled_from(['hold_headers', 'del_held_header', 'read_held_header',
                               'read_headerlist', 'copy_headers', 'pickle'])),
    st.tuples(st.just('headerlist'), st.just([('X-A', '1')])),
    cookie_steps, cookie_steps,
), max_size=6)


@settings(max_examples=300, deadline=None)
@example([('set_cookie_with', 'a', {}), ('header', 'Set-Cookie', '1')])  # the cookie goes
@given(fresh_steps)
def test_headers_set_on_a_fresh_response_as_webob_sets_them(steps):
    assert _outcome(Response, None, {}, steps) == _outcome(webob.Response, None, {}, steps)


@settings(max_examples=200, deadline=None)
@given(jsons, steps)
def test_same_json_as_webob(value, steps):
    assert (_outcome(Response, None, {'json': value}, steps)
            == _outcome(webob.Response, None, {'json': value}, steps))


def test_positional_arguments_and_subclass_defaults_take_webobs_way():
    assert Response('x', '201 Created').status == '201 Created'
    assert (Response(None, None, [('X-A', '1')]).headerlist
            == webob.Response(None, None, [('X-A', '1')]).headerlist
            == [('X-A', '1'), ('Content-Length', '0')])

    class Markup(str):  # a str of another type: WebOb's way too
        pass

    assert Response(Markup('<b>')).headerlist == webob.Response(Markup('<b>')).headerlist

    class Plain(Response):
        default_content_type = 'text/plain'

    class WebObPlain(webob.Response):
        default_content_type = 'text/plain'

    assert Plain('x').headerlist == WebObPlain('x').headerlist == [
        ('Content-Type', 'text/plain; charset=UTF-8'), ('Content-Length', '1')]

    class Latin(Response):
        default_charset = 'latin-1'

    assert Latin('é').body == 'é'.encode('latin-1')


def test_handlers_get_it_and_a_returned_str_is_appended():
    @wsgify
    def app(req):
        assert type(req.response) is Response and isinstance(req.response, webob.Response)
        req.response.content_type = 'text/plain'
        req.response.write('a')
        return 'b'

    resp = TestApp(app).get('/')
    assert resp.body == b'ab'
    assert resp.headers['Content-Type'] == 'text/plain; charset=UTF-8'
    assert resp.headers['Content-Length'] == '2'
    assert Request.ResponseClass is Response


@pytest.mark.parametrize('setting, value', [('default_content_type', 'text/plain'),
                                            ('default_charset', 'latin-1'),
                                            ('default_conditional_response', True)])
def test_req_response_is_what_response_makes_even_with_the_class_changed(
        monkeypatch, setting, value):
    monkeypatch.setattr(Response, setting, value)
    made = Request.blank('/').response
    plain = Response()
    assert (made.headerlist, made.conditional_response) == (
        plain.headerlist, plain.conditional_response)
    assert getattr(made, setting) == value


def test_defaults_are_responses_own(monkeypatch):
    from webkit import response
    monkeypatch.setattr(webob.Response, 'default_content_type', 'text/plain')
    assert Response().content_type == 'text/html' and response.webob_defaults
    monkeypatch.setattr(Response, 'default_charset', 'latin-1')
    assert not response.webob_defaults and Request.blank('/').response.charset == 'latin-1'
    monkeypatch.undo()
    assert response.webob_defaults
    Response.default_charset = 'latin-1'
    del Response.default_charset  # WebOb's shows through: UTF-8
    assert response.webob_defaults and Response.default_charset == 'UTF-8'
    Response.default_charset = 'UTF-8'


@pytest.mark.parametrize('headers', [
    [('Content-Length', '1'), ('Content-Length', '1')],  # twice: WebOb reads the first
    [('Content-Length', 'x')],
    [],
])
def test_unusual_lengths_are_written_as_webob_writes_them(headers):
    kw = {'app_iter': [b'x'], 'headerlist': headers}
    ours = _outcome(Response, None, kw, [('write', b'yz')])
    assert ours == _outcome(webob.Response, None, kw, [('write', b'yz')])
    assert ours[0] != 'init'


@pytest.mark.parametrize('charset', ['UTF-8', 'latin-1', None])
def test_content_types_follow_the_default_charset(charset):
    # The header each value gives is kept per default charset.
    ours = type('Ours', (Response,), {'default_charset': charset})()
    theirs = type('Theirs', (webob.Response,), {'default_charset': charset})()
    for value in ['text/plain', 'application/json', 'image/svg+xml', 'text/plain']:
        ours.content_type = value
        theirs.content_type = value
        assert ours.headerlist == theirs.headerlist


@pytest.mark.parametrize('steps', [
    [('content_type', 'image/png'), ('write', 'text')],  # no charset to write text in
    [('content_type', 'text/plain'), ('write', 'té'), ('read_headerlist',)],
    [('write', b'a'), ('extend_app_iter', b'b')],  # the list built before the body is handed out
    [('headerlist', [('X-A', '1')]), ('write', b'a')],
    [('content_type', 'text/plain\r\nX: y')],  # not printable: WebOb's way
    [('read_headers',), ('header', 'X-Item', 'x'), ('write', b'a')],
    [('status', '404 Not Found'), ('write', 'x')],
    [('write', Markup('<b>hi</b>'))],  # counted twice once: a wrong Content-Length
    [('write', Data(b'abc')), ('read_body',)],
    # Headers kept as values, in WebOb's order, until the list is asked for.
    [('header', 'X-Item', 'x'), ('write', b'a'), ('header', 'X-Other', 'y')],
    [('header', 'X-Item', 'x'), ('content_type', 'text/plain'), ('header', 'x-item', 'z')],
    [('hold_headers',), ('headerlist', [('X-A', '1')]), ('held_header', 'X-B', '2')],
    [('hold_headers',), ('held_header', 'X-B', '2'), ('read_headerlist',),
     ('held_header', 'X-C', '3')],
    [('header', 'X-Item', 'x'), ('header', 'Location', '/there')],
    [('header', 'X-Item', 'x'), ('pickle',)],
    [('header', 'X-Item', 'x'), ('copy_headers',), ('write', b'a')],
])
def test_a_fresh_response_leaves_its_two_headers_as_webob_would(steps):
    # Each way out of the fresh state, and back to WebOb's own code.
    assert _outcome(Response, 'x', {}, steps) == _outcome(webob.Response, 'x', {}, steps)


@pytest.mark.parametrize('cls', [Response, webob.Response])
def test_a_shallow_copy_shares_the_headers_and_body_as_webobs_does(cls):
    first = cls('abc')
    second = copy.copy(first)
    first.headerlist  # read: built now, for a fresh one
    second.write(b'def')
    assert first.body == second.body == b'abcdef'
    assert first.content_length == second.content_length == 6


def test_the_class_can_be_looked_through():
    # Documentation tools read every class attribute: the fresh header
    # list's descriptor answers with itself there.
    names = dict(inspect.getmembers(Response))
    assert '_headerlist' in names and 'headerlist' in names


def test_a_cookie_not_printable_ascii_is_left_to_the_guard(monkeypatch):
    # WebOb's make_cookie escapes everything it writes; should it not, the
    # cookie goes on the header list the guard checks, and is refused there.
    import webkit.response
    monkeypatch.setattr(webkit.response, 'make_cookie', lambda *args, **kw: 'a=1\r\nX-Evil: 1')

    @wsgify
    def app(req):
        req.response.set_cookie('a', '1')
        return 'page'

    res = TestApp(app).get('/', status=500)
    assert 'X-Evil' not in res.headers and 'page' not in res.text
