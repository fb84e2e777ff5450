"""Hostile requests against a realistic application: never a 5xx, always well-formed.

Raw environs, as a server hands them over (WebTest would tidy them up):
paths, query strings, methods, headers (dates past what Python holds,
origins that are no URL, charsets nobody knows), and bodies of every
kind a form or a script sends, broken in the ways clients break them
(cut short, a file where text goes, JSON numbers no float holds). The
application is the shape the documentation gives: a class with a
Dispatcher, a Controller, views, a JSON endpoint and a form, behind
``Sessions(CSRFProtection(...))``. Whatever comes, the answer is a 4xx or
better, given once, with a body as long as it says and headers a server
can write.
"""
import io
import re
import sys

from formencode import Schema, validators
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from webob import exc

from webkit import Controller, CSRFProtection, Dispatcher, Response, Sessions
from webkit.forms import json_body, render_form, validate
from webkit.sessions import flash, pop_flashes, session

SECRET = 'hostile-secret-' * 3
PAGE = ('<form method="post" action="/form"><input name="name">'
        '<input type="checkbox" name="tags" value="a"><textarea name="bio"></textarea>'
        '<input type="password" name="pw"></form>Q&A')


class Signup(Schema):
    name = validators.UnicodeString(not_empty=True)
    bio = validators.UnicodeString()


class Items(Controller):
    def view(self, id):
        return f'item {id} {self.link("item", action="view", id=id)}'

    def edit(self, id):
        return repr(sorted(self.req.params.keys()))


def hello(req, name):
    return f'hello {name} {req.GET.get("q", "")} {req.link("hello", name=name)}'


def api(req, id):
    return Response(json={'id': id, 'got': json_body(req)})


class Site:
    routes = Dispatcher()
    routes.connect('index', '/', 'index')
    routes.connect('hello', '/hello/{name}', view=hello)
    routes.connect('item', '/items/{action}/{id:\\d+}', Items, methods=('GET', 'POST'))
    routes.connect('api', '/api/{id:\\d+}', view=api, methods=('POST', 'PUT'))
    routes.connect('form', '/form', 'form', methods=('GET', 'POST'))
    routes.connect('visits', '/visits', 'visits', methods=('GET', 'POST'))
    routes.connect('page', '/page', 'page')

    def index(self, req):
        return 'index ' + ' '.join(pop_flashes(req))

    def form(self, req):
        if req.method == 'GET':
            return render_form(PAGE, req=req)
        values, errors = validate(Signup, req.POST)
        if errors:
            return Response(render_form(PAGE, req.POST, errors, req=req), status=400)
        flash(req, f'Saved {values["name"]}')
        raise exc.HTTPSeeOther(location=req.link('index'))

    def visits(self, req):
        data = session(req)
        data['n'] = data.get('n', 0) + 1
        return str(data['n'])

    def page(self, req):
        return Response('page', conditional_response=True, etag='v1',
                        last_modified=1_000_000_000)

    __call__ = routes


APP = Sessions(CSRFProtection(Site(), SECRET), SECRET)

PATHS = ['/', '/hello/ada', '/hello/%ff', '/hello/caf%C3%A9', '/items/view/3',
         '/items/edit/3', '/items/_secret/3', '/api/1', '/form', '/visits', '/page',
         '/nowhere', '/hello/a/../b', '//hello/x', '/hello/x%0A', '*', '']
DATES = ['Sun, 06 Nov 1994 08:49:37 GMT', 'Sun, 06 Nov 99999 08:49:37 GMT', 'not a date']
HEADER_VALUES = ['', '*', '"v1"', 'W/"v1"', 'bytes=0-2', 'bytes=9-1', *DATES, 'http://[',
                 'null', 'https://evil.example', 'http://localhost', 'text/html;q=0',
                 'application/json', 'caf\xe9', '\xff\x00']
HEADERS = ['Origin', 'X-CSRF-Token', 'Accept', 'If-None-Match', 'If-Match', 'Range',
           'If-Range', 'If-Modified-Since', 'If-Unmodified-Since', 'Cookie', 'Host']
CONTENT_TYPES = ['application/json', 'application/json; charset=bogus', 'APPLICATION/JSON',
                 'application/x-www-form-urlencoded',
                 'application/x-www-form-urlencoded; charset=latin-1',
                 'multipart/form-data; boundary=B', 'multipart/form-data',
                 'text/plain; charset=bogus', 'text/plain; charset=utf-16', ';']

latin1 = st.text(st.characters(max_codepoint=255), max_size=20)
part = st.builds(
    lambda name, filename, value: (
        b'--B\r\nContent-Disposition: form-data'
        + (b'; name="%s"' % name.encode('latin-1') if name is not None else b'')
        + (b'; filename="%s"' % filename.encode('latin-1') if filename is not None else b'')
        + b'\r\n\r\n' + value + b'\r\n'),
    st.one_of(st.none(), st.sampled_from(['name', 'bio', 'csrf_token', 'tags', '_method', ''])),
    st.one_of(st.none(), st.sampled_from(['a.txt', '', '../x'])),
    st.one_of(st.binary(max_size=12), st.sampled_from([b'ada', b'\xff\xfe', b'--B'])))
bodies = st.one_of(
    st.just(b''),
    st.binary(max_size=40),
    st.sampled_from([b'{}', b'[1e999]', b'{"a":1,"a":2}', b'NaN', b'"\\ud800"', b'[' * 300,
                     b'name=ada&bio=x', b'name=&pw=secret', b'name=%ff', b'a=1&' * 50]),
    st.builds(lambda parts, end: b''.join(parts) + end, st.lists(part, max_size=4),
              st.sampled_from([b'--B--\r\n', b'', b'--B'])),
)
requests = st.fixed_dictionaries({
    'method': st.sampled_from(['GET', 'HEAD', 'POST', 'POST', 'PUT', 'OPTIONS', 'BREW']),
    'path': st.one_of(st.sampled_from(PATHS), latin1.map(lambda text: '/' + text)),
    'query': st.one_of(st.just(''), st.sampled_from(['q=%ff', 'q=%', 'q=a&q=b', 'x=1']),
                       latin1),
    'headers': st.dictionaries(st.sampled_from(HEADERS), st.sampled_from(HEADER_VALUES),
                               max_size=4),
    'content_type': st.one_of(st.none(), st.sampled_from(CONTENT_TYPES)),
    'body': bodies,
    'length': st.sampled_from(['given'] * 6 + ['short', 'long', 'none', '00', '9' * 30]),
    'session': st.booleans(),
    'token': st.booleans(),
})


def _client():
    """A client that has a session and a token: the cookies and the token."""
    answer = _call(_environ({'method': 'GET', 'path': '/form', 'query': '', 'headers': {},
                             'content_type': None, 'body': b'', 'length': 'given',
                             'session': False, 'token': False}))
    cookies = [value.split(';')[0] for name, value in answer[1] if name == 'Set-Cookie']
    token = re.search(r'name="csrf_token" value="([^"]+)"', answer[2].decode())[1]
    return '; '.join(cookies), token


def _environ(request, client=None):
    body = request['body']
    length = {'given': str(len(body)), 'short': str(len(body) + 10),
              'long': str(max(len(body) - 1, 0)), 'none': ''}.get(request['length'],
                                                                    request['length'])
    environ = {'REQUEST_METHOD': request['method'], 'SCRIPT_NAME': '',
               'PATH_INFO': request['path'], 'QUERY_STRING': request['query'],
               'SERVER_NAME': 'localhost', 'SERVER_PORT': '80', 'SERVER_PROTOCOL': 'HTTP/1.1',
               'HTTP_HOST': 'localhost', 'wsgi.url_scheme': 'http',
               'wsgi.input': io.BytesIO(body), 'wsgi.errors': sys.stderr,
               'CONTENT_LENGTH': length}
    if request['content_type'] is not None:
        environ['CONTENT_TYPE'] = request['content_type']
    for name, value in request['headers'].items():
        environ['HTTP_' + name.upper().replace('-', '_')] = value
    if client is not None:
        cookie, token = client
        if request['session']:
            environ['HTTP_COOKIE'] = cookie
        if request['token']:
            environ['HTTP_X_CSRF_TOKEN'] = token
    return environ


def _call(environ):
    started = []
    body = APP(environ, lambda status, headers, exc_info=None: started.append((status, headers)))
    try:
        content = b''.join(body)
    finally:
        if hasattr(body, 'close'):
            body.close()
    assert len(started) == 1, started
    return started[0][0], started[0][1], content


CLIENT = _client()


@settings(max_examples=400, derandomize=True, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                 HealthCheck.function_scoped_fixture])  # caplog: read only
@example(request={'method': 'POST', 'path': '/form', 'query': '',
                  'headers': {'Origin': 'http://['}, 'content_type': None, 'body': b'',
                  'length': 'given', 'session': True, 'token': True})
@example(request={'method': 'GET', 'path': '/page', 'query': '',
                  'headers': {'If-Range': DATES[1], 'Range': 'bytes=0-2'},
                  'content_type': None, 'body': b'', 'length': 'given', 'session': False,
                  'token': False})
@given(request=requests)
def test_a_hostile_request_gets_a_well_formed_answer_below_500(request, caplog):
    environ = _environ(request, CLIENT)
    status, headers, content = _call(environ)
    assert int(status[:3]) < 500, (status, caplog.text[-2000:])
    for name, value in headers:
        text = name + value
        assert not re.search('[\r\n\0]', text)
        text.encode('latin-1')  # as the server writes it
    lengths = [value for name, value in headers if name.lower() == 'content-length']
    if lengths and request['method'] != 'HEAD':
        assert lengths == [str(len(content))]
