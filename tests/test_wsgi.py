"""The WSGI shell every webkit application runs in: errors, headers, bodies."""
import io
import logging
import os
import resource
import sys

import pytest
import webob
from webob import Response
from webtest import TestApp

from webkit import Dispatcher, wsgify
from webkit._wsgi import StaticPage, internal_error
from webkit.exc import UnsafeHeaderError


def test_unexpected_exception_is_a_generic_500_with_the_traceback_logged(caplog):
    @wsgify
    def broken(req):
        raise RuntimeError('secret database password')

    with caplog.at_level(logging.ERROR, logger='webkit'):
        res = TestApp(broken).get('/some/path', status=500)
    for leak in ('secret', 'RuntimeError', 'Traceback', '.py'):
        assert leak not in res.text
    assert 'error handling GET /some/path' in caplog.text
    assert 'RuntimeError: secret database password' in caplog.text


@pytest.mark.parametrize('value', ['a\r\nSet-Cookie: x=1', 'a\nb', 'a\rb', 'a\x00b'])
def test_unsafe_header_value_from_a_response_is_refused(caplog, value):
    @wsgify
    def injecting(req):
        resp = Response('body')
        resp.headerlist.append(('X-Echo', value))
        return resp

    res = TestApp(injecting).get('/', status=500)
    assert 'X-Echo' not in res.headers and 'Set-Cookie' not in res.headers
    assert 'UnsafeHeaderError' in caplog.text


@pytest.mark.parametrize('change', [
    ('status', '200 OK\r\nSet-Cookie: x=1'),
    ('status', '404 Not\nFound'),
    ('content_type', 'text/plain\r\nSet-Cookie: x=1'),
    ('content_type', 'text/plain\u2028x'),
    ('content_type', 'text/\u0100'),
])
def test_unsafe_status_or_content_type_of_a_fresh_response_is_refused(caplog, change):
    # A response whose two headers were never listed is sent without its
    # list being checked: what it was given must be checked all the same.
    @wsgify
    def handler(req):
        setattr(req.response, *change)
        return 'body'

    res = TestApp(handler).get('/', status=500, expect_errors=True)
    assert 'Set-Cookie' not in res.headers
    assert 'UnsafeHeaderError' in caplog.text or 'UnicodeEncodeError' in caplog.text


def test_a_fresh_response_answers_head_and_odd_statuses_as_webob_does():
    @wsgify
    def handler(req):
        req.response.status = req.GET.get('status', '200 OK')
        req.response.content_type = 'text/plain'
        return 'body'

    app = TestApp(handler)
    head = app.head('/')
    assert head.body == b'' and head.headers['Content-Length'] == '4'
    assert app.get('/', params={'status': '418 Teapot'}, status=418).text == 'body'


def test_unsafe_header_from_a_raw_wsgi_app_never_reaches_start_response(caplog):
    def raw(environ, start_response):
        start_response('200 OK', [('Content-Type', 'text/plain'), ('X-Bad\r\n', 'v')])
        return [b'raw']

    calls = []

    def start_response(status, headers, exc_info=None):
        calls.append((status, headers))

    app = wsgify(lambda req: raw)
    body = b''.join(app(webob.Request.blank('/').environ, start_response))
    assert [status for status, _ in calls] == ['500 Internal Server Error']
    assert b'raw' not in body


def test_safe_raw_wsgi_app_is_passed_through():
    def raw(environ, start_response):
        start_response('200 OK', [('Content-Type', 'text/plain')])
        return [b'raw']

    assert TestApp(wsgify(lambda req: raw)).get('/').text == 'raw'


def test_unsupported_return_type_is_a_500_naming_it(caplog):
    res = TestApp(wsgify(lambda req: 42)).get('/', status=500)
    assert '42' not in res.text
    assert 'a handler must return a Response' in caplog.text and 'not int' in caplog.text


def test_bytes_and_str_into_a_touched_response():
    @wsgify
    def data(req):
        req.response.content_type = 'application/octet-stream'
        return b'\x00\x01' if 'b' in req.GET else 'text'

    app = TestApp(data)
    assert app.get('/?b').body == b'\x00\x01'
    assert app.get('/').content_type == 'application/octet-stream'


def test_plain_webob_request_class_keeps_headers_set_on_the_response():
    @wsgify(RequestClass=webob.Request)
    def plain(req):
        req.response.content_type = 'text/plain'
        return 'x'

    assert TestApp(plain).get('/').content_type == 'text/plain'


def test_static_pages_and_errors():
    page = StaticPage('404 Not Found', b'gone', [('X-A', 'b')])
    assert repr(page) == "<StaticPage '404 Not Found'>"
    with pytest.raises(UnsafeHeaderError) as info:
        StaticPage('200 OK', b'', [('X-A', 'b\r\n')])
    assert (info.value.name, info.value.value) == ('X-A', 'b\r\n')
    assert 'CR, LF, NUL or a character beyond Latin-1' in str(info.value)
    assert internal_error().status_int == 500


def test_dispatcher_with_plain_webob_request_class():
    routes = Dispatcher(RequestClass=webob.Request)
    routes.connect('x', '/x', lambda req: f'{type(req).__name__} {req.link("x")}')
    assert TestApp(routes).get('/x').text == 'Request /x'


def test_head_of_an_http_error_has_the_gets_headers_and_no_body():
    from webob import exc

    @wsgify
    def missing(req):
        raise exc.HTTPNotFound('no such thing')

    app = TestApp(missing)
    get = app.get('/', status=404)
    head = app.head('/', status=404)
    assert head.body == b''
    assert (head.content_type, head.content_length) == (get.content_type, get.content_length)


def test_head_of_an_http_error_with_its_own_body_closes_it():
    from webob import exc
    closed = []

    class Body(list):
        def close(self):
            closed.append(True)

    @wsgify
    def gone(req):
        return exc.HTTPGone(app_iter=Body([b'gone for good']), content_length=13)

    res = TestApp(gone).head('/', status=410)
    assert res.body == b'' and res.content_length == 13 and closed == [True]


def test_status_line_with_cr_lf_is_refused(caplog):
    @wsgify
    def injecting(req):
        resp = Response('body')
        resp.status = '200 OK\r\nSet-Cookie: x=1'
        return resp

    def raw(environ, start_response):
        start_response('200 OK\r\nSet-Cookie: x=1', [('Content-Type', 'text/plain')])
        return [b'raw']

    for app in (injecting, wsgify(lambda req: raw)):
        res = TestApp(app).get('/', status=500)
        assert 'Set-Cookie' not in res.headers and b'raw' not in res.body


def test_unsafe_header_from_a_generator_app_is_a_generic_500(caplog):
    def lazy(environ, start_response):
        # A generator calls start_response only when it is first iterated.
        start_response('200 OK', [('Content-Type', 'text/plain'), ('X-Bad', 'a\r\nb')])
        yield b'raw'

    res = TestApp(wsgify(lambda req: lazy)).get('/', status=500)
    assert 'X-Bad' not in res.headers and b'raw' not in res.body
    assert 'UnsafeHeaderError' in caplog.text


def test_generator_app_failing_before_its_first_chunk_is_a_generic_500(caplog):
    def lazy(environ, start_response):
        raise RuntimeError('secret')
        yield b''  # pragma: no cover (makes this a generator)

    res = TestApp(wsgify(lambda req: lazy)).get('/', status=500)
    assert 'secret' not in res.text and 'RuntimeError: secret' in caplog.text


def test_generator_app_is_streamed_and_closed():
    closed = []

    def lazy(environ, start_response):
        start_response('200 OK', [('Content-Type', 'text/plain')])
        try:
            yield b'one '
            yield b'two'
        finally:
            closed.append(True)

    assert TestApp(wsgify(lambda req: lazy)).get('/').text == 'one two'
    assert closed == [True]


def test_app_failing_after_start_response_is_replaced_with_exc_info(caplog):
    def started_then_failed(environ, start_response):
        start_response('200 OK', [('Content-Type', 'text/plain')])
        raise RuntimeError('secret')

    calls = []

    def start_response(status, headers, exc_info=None):
        calls.append((status, exc_info is not None))

    app = wsgify(lambda req: started_then_failed)
    body = b''.join(app(webob.Request.blank('/').environ, start_response))
    assert calls == [('200 OK', False), ('500 Internal Server Error', True)]
    assert b'secret' not in body


def test_app_that_never_calls_start_response_is_a_generic_500_logged_here(caplog):
    # The server would fail on it, outside webkit's log and its error page.
    closed = []

    class Body(list):
        def close(self):
            closed.append(True)

    def forgetful(environ, start_response):
        return Body([b'secret'])

    res = TestApp(wsgify(lambda req: forgetful)).get('/', status=500)
    assert b'secret' not in res.body and closed == [True]
    assert 'without calling start_response' in caplog.text


def test_app_calling_start_response_twice_is_a_generic_500_logged_here(caplog):
    def twice(environ, start_response):
        start_response('200 OK', [('Content-Type', 'text/plain')])
        start_response('302 Found', [('Location', 'http://evil.example/')])
        return [b'secret']

    res = TestApp(wsgify(lambda req: twice)).get('/', status=500)
    assert 'Location' not in res.headers and b'secret' not in res.body
    assert 'start_response called again without exc_info' in caplog.text


def test_if_none_match_star_is_answered_like_the_etag():
    @wsgify
    def page(req):
        req.response.etag = 'v1'
        req.response.conditional_response = True
        return 'text'

    app = TestApp(page)
    assert app.get('/', headers={'If-None-Match': '*'}, status=304).body == b''
    assert app.head('/', headers={'If-None-Match': '*'}, status=304).headers['ETag'] == '"v1"'
    assert app.get('/', headers={'If-None-Match': '"v0"'}).text == 'text'
    app.post('/', headers={'If-None-Match': '*'}, status=200)   # a write is not cached


def test_if_none_match_star_leaves_unconditional_responses_alone():
    @wsgify
    def page(req):
        req.response.etag = 'v1'
        return 'text'

    assert TestApp(page).get('/', headers={'If-None-Match': '*'}).text == 'text'


def test_http_error_raised_by_a_returned_application_is_answered():
    from webob import exc

    def forbidding(environ, start_response):
        raise exc.HTTPForbidden('not you')

    res = TestApp(wsgify(lambda req: forbidding)).get('/', status=403)
    assert 'not you' in res.text


def test_a_request_leaves_no_reference_cycle():
    import gc
    routes = Dispatcher()
    routes.connect('page', '/pages/{name}', view=lambda req, name: req.link('page', name=name))
    app = TestApp(routes)
    app.get('/pages/a')
    gc.collect()
    gc.disable()
    try:
        for _ in range(10):
            assert app.get('/pages/a').text == '/pages/a'
        assert gc.collect() == 0
    finally:
        gc.enable()


def test_the_error_log_line_escapes_what_the_client_wrote(caplog):
    @wsgify
    def broken(req):
        raise RuntimeError('boom')

    with caplog.at_level(logging.ERROR, logger='webkit'):
        TestApp(broken).get('/item/b%0AERROR%20webkit:%20admin%20login%20succeeded',
                            status=500)
    lines = [record.getMessage() for record in caplog.records]
    assert lines == ['error handling GET /item/b\\nERROR webkit: admin login succeeded']


@pytest.mark.parametrize('header', ['If-Modified-Since', 'If-Unmodified-Since', 'If-Range'])
def test_a_date_header_that_holds_no_date_is_ignored(header):
    @wsgify
    def page(req):
        return Response('page', conditional_response=True, etag='v1',
                        last_modified=1_000_000_000)
    res = TestApp(page).get('/', headers={header: 'Sun, 06 Nov 99999 08:49:37 GMT',
                                          'Range': 'bytes=0-1'})
    assert res.status_int == (206 if header != 'If-Range' else 200)


@pytest.mark.parametrize('location', ['/caf\u0100', '/\u2028', '/\U0001f600'])
def test_a_header_latin1_cannot_write_is_refused_here_not_by_the_server(location, caplog):
    # PEP 3333 headers are Latin-1; waitress failed on it with a 500 of its own.
    @wsgify
    def back(req):
        return webob.exc.HTTPSeeOther(location=req.params['next'])
    res = TestApp(back).get('/', {'next': location}, status=500)
    assert 'UnsafeHeaderError' in caplog.text and location not in res.text
    assert TestApp(back).get('/', {'next': '/caf\xe9'}, status=303)  # Latin-1: written


def test_an_error_in_a_process_out_of_descriptors_is_still_a_500(monkeypatch):
    # The error is logged through modules imported on the first error only,
    # and importing needs a file: without one, the guard itself failed.
    @wsgify
    def broken(req):
        raise RuntimeError('boom')
    environ = webob.Request.blank('/x').environ
    environ['wsgi.errors'] = errors = io.StringIO()
    monkeypatch.delitem(sys.modules, 'logging')
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (len(os.listdir('/proc/self/fd')) + 16, hard))
    held, status = [], []
    try:
        while True:
            held.append(open(os.devnull))
    except OSError:  # every descriptor taken
        pass
    try:
        body = broken(environ, lambda line, headers, exc_info=None: status.append(line))
    finally:
        for stream in held:
            stream.close()
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    assert status == ['500 Internal Server Error'] and b'boom' not in b''.join(body)
    assert 'could not be loaded' in errors.getvalue()
    assert 'Too many open files' in errors.getvalue()
