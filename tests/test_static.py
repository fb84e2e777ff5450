"""Static files: webkit.static.Static, answering as WebOb's FileApp does."""
import gzip
import os

import pytest
import webob
from webtest import TestApp

from webkit import ConfigurationError, Dispatcher, URLGenerationError
from webkit.static import FOREVER, REVALIDATE, Static

CSS = b'body { margin: 0 }\n'


@pytest.fixture
def site(tmp_path):
    """A static folder with a canary file beside it (never to be served)."""
    folder = tmp_path / 'static'
    (folder / 'css').mkdir(parents=True)
    (folder / 'site.css').write_bytes(CSS)
    (folder / 'css' / 'print.css').write_bytes(b'@media print {}\n')
    (folder / 'app.js').write_bytes(b'console.log(1)\n')
    (folder / 'blob.unknownext').write_bytes(b'\x00\x01')
    (folder / '.env').write_bytes(b'SECRET=1\n')
    (tmp_path / 'canary.txt').write_bytes(b'CANARY')
    (tmp_path / 'static-evil').mkdir()
    (tmp_path / 'static-evil' / 'x.css').write_bytes(b'CANARY')
    return folder


@pytest.fixture
def static(site):
    routes = Dispatcher()
    routes.connect('static', '/static/{path:.*}', view=Static(site))
    return routes


@pytest.fixture
def app(static):
    return TestApp(static)


def test_static_serves_file_with_validators(app):
    res = app.get('/static/site.css')
    assert res.body == CSS
    assert res.content_type == 'text/css'
    assert res.headers['Content-Length'] == str(len(CSS))
    assert res.headers['ETag'].strip('"') and res.headers['Last-Modified']
    assert res.headers['Cache-Control'] == REVALIDATE


@pytest.mark.parametrize('path, content_type', [
    ('app.js', 'text/javascript'), ('css/print.css', 'text/css'),
    ('blob.unknownext', 'application/octet-stream')])
def test_static_content_types(app, path, content_type):
    assert app.get(f'/static/{path}').content_type == content_type


def test_static_compressed_file_is_sent_as_stored(app, site, static):
    # Not as a tar in a Content-Encoding: the browser would save it unpacked.
    (site / 'backup.tar.gz').write_bytes(b'\x1f\x8b' + b'\x00' * 8)
    res = app.get('/static/backup.tar.gz')
    assert res.content_type == 'application/octet-stream'
    assert 'Content-Encoding' not in res.headers and res.body.startswith(b'\x1f\x8b')
    # A type compressed by its name is an image in a Content-Encoding, as FileApp sends it.
    (site / 'logo.svgz').write_bytes(gzip.compress(b'<svg/>'))
    res = webob.Request.blank('/static/logo.svgz').get_response(static)  # WebTest would unpack it
    assert (res.content_type, res.headers['Content-Encoding']) == ('image/svg+xml', 'gzip')


@pytest.mark.parametrize('method, headers, status', [
    ('HEAD', {}, 200),
    ('GET', {'If-None-Match': '*'}, 304),
    ('GET', {'If-Match': '"other"'}, 412),
    ('GET', {'Range': 'bytes=100-200'}, 416),
    ('GET', {}, 200),
])
def test_static_file_is_closed_whether_or_not_it_is_read(app, method, headers, status,
                                                          monkeypatch):
    import io
    opened = []
    real_open = open

    def tracking_open(*args, **kw):
        file = real_open(*args, **kw)
        if isinstance(file, io.BufferedReader) and str(args[0]).endswith('site.css'):
            opened.append(file)
        return file

    monkeypatch.setattr('builtins.open', tracking_open)
    res = app.request('/static/site.css', method=method, headers=headers, status=status)
    assert res.status_int == status and opened and all(file.closed for file in opened)


def test_static_etag_is_the_link_version(app, static):
    url = static.url('static', path='site.css')
    version = url.partition('?v=')[2]
    assert len(version) == 12 and int(version, 16) >= 0
    assert app.get('/static/site.css').headers['ETag'] == f'"{version}"'


@pytest.mark.parametrize('header', ['If-None-Match', 'If-Modified-Since'])
def test_static_conditional_get_is_304(app, header):
    first = app.get('/static/site.css')
    value = first.headers['ETag' if header == 'If-None-Match' else 'Last-Modified']
    res = app.get('/static/site.css', headers={header: value}, status=304)
    assert res.body == b''


def test_static_changed_file_gets_200_for_old_etag(app, site):
    etag = app.get('/static/site.css').headers['ETag']
    (site / 'site.css').write_bytes(b'body { margin: 1px }\n')
    res = app.get('/static/site.css', headers={'If-None-Match': etag}, status=200)
    assert res.headers['ETag'] != etag


@pytest.mark.parametrize('range_, status, body', [
    ('bytes=0-3', 206, CSS[:4]), ('bytes=5-', 206, CSS[5:]), ('bytes=-3', 206, CSS[-3:]),
    ('bytes=100-200', 416, None)])
def test_static_range(app, range_, status, body):
    res = app.get('/static/site.css', headers={'Range': range_}, status=status)
    if body is not None:
        assert res.body == body
        assert res.headers['Content-Range'].endswith(f'/{len(CSS)}')


def test_static_if_range_with_old_etag_sends_everything(app):
    res = app.get('/static/site.css', headers={'Range': 'bytes=0-3', 'If-Range': '"old"'})
    assert res.status_int == 200 and res.body == CSS


def test_static_head_has_get_headers_and_no_body(app):
    get = app.get('/static/site.css')
    head = app.head('/static/site.css')
    assert head.body == b''
    for name in ('Content-Type', 'Content-Length', 'ETag', 'Last-Modified'):
        assert head.headers[name] == get.headers[name]


def test_static_other_methods_are_405(app, site):
    res = app.post('/static/site.css', status=405)
    assert res.headers['Allow'] == 'GET, HEAD, OPTIONS'
    # Also on a route open to every method: a file is only read.
    routes = Dispatcher()
    routes.connect('static', '/static/{path:.*}', view=Static(site), methods='*')
    res = TestApp(routes).post('/static/site.css', status=405)
    assert res.headers['Allow'] == 'GET, HEAD' and CSS not in res.body


@pytest.mark.parametrize('url', [
    '/static/../canary.txt', '/static/%2e%2e/canary.txt', '/static/%2E%2E%2Fcanary.txt',
    '/static/css/..%2f..%2fcanary.txt', '/static/..%5ccanary.txt', '/static/%5c..%5ccanary.txt',
    '/static//etc/passwd', '/static/%2fetc%2fpasswd', '/static/site.css%00.txt',
    '/static/./site.css', '/static/css//print.css', '/static/.env', '/static/css/',
    '/static/', '/static/missing.css', '/static/../static-evil/x.css',
    '/static/..%2fstatic-evil%2fx.css'])
def test_static_refuses_traversal_and_hidden_files(app, url):
    res = app.get(url, status=404, expect_errors=True)
    assert b'CANARY' not in res.body and b'SECRET' not in res.body


def test_static_symlink_out_of_folder_is_404(app, site):
    os.symlink(site.parent / 'canary.txt', site / 'out.txt')
    os.symlink(site.parent, site / 'up')
    assert b'CANARY' not in app.get('/static/out.txt', status=404).body
    assert b'CANARY' not in app.get('/static/up/canary.txt', status=404).body


def test_static_symlink_inside_folder_is_served(app, site):
    os.symlink(site / 'site.css', site / 'alias.css')
    assert app.get('/static/alias.css').body == CSS


def test_static_symlink_loop_is_404(app, site):
    os.symlink(site / 'loop', site / 'loop')
    app.get('/static/loop', status=404)


def test_static_versioned_url_is_immutable(app, static):
    res = app.get(static.url('static', path='site.css'))
    assert res.headers['Cache-Control'] == FOREVER


@pytest.mark.parametrize('query', ['?v=000000000000', '?v=', '?x=1', ''])
def test_static_other_versions_revalidate(app, query):
    res = app.get('/static/site.css' + query)
    assert res.headers['Cache-Control'] == REVALIDATE


def test_static_link_changes_when_file_changes(static, site):
    before = static.url('static', path='site.css')
    assert static.url('static', path='site.css') == before  # cached
    (site / 'site.css').write_bytes(b'body { color: red }\n')
    after = static.url('static', path='site.css')
    assert after != before
    assert TestApp(static).get(after).headers['Cache-Control'] == FOREVER
    assert TestApp(static).get(before).headers['Cache-Control'] == REVALIDATE


def test_static_link_under_script_name(static):
    def page(req):
        return req.link('static', path='css/print.css')
    static.connect('page', '/', view=page)
    res = TestApp(static, extra_environ={'SCRIPT_NAME': '/app'}).get('/')
    assert res.text.startswith('/app/static/css/print.css?v=')


@pytest.mark.parametrize('path', ['missing.css', '../canary.txt', '.env', 'css'])
def test_static_link_to_missing_file_raises(static, path):
    with pytest.raises(URLGenerationError) as info:
        static.url('static', path=path)
    assert info.value.name == 'static'


def test_static_hash_read_once_per_version(static, site, monkeypatch):
    import hashlib
    import webkit.static
    computed = []

    class Counting:
        @staticmethod
        def sha256():
            computed.append(1)
            return hashlib.sha256()
    monkeypatch.setattr(webkit.static, 'hashlib', Counting)
    for _ in range(3):
        static.url('static', path='site.css')
    TestApp(static).get('/static/site.css')
    assert len(computed) == 1
    os.utime(site / 'site.css', ns=(0, 0))  # same content, new mtime: hashed again
    static.url('static', path='site.css')
    assert len(computed) == 2


def test_static_folder_must_exist(tmp_path):
    with pytest.raises(ConfigurationError) as info:
        Static(tmp_path / 'nope')
    assert 'nope' in info.value.what


def test_static_repr(site):
    assert repr(Static(site)) == f'Static({str(site.resolve())!r})'


def test_static_lint_clean(static):
    from webkit.lint import check_app
    findings = check_app(static, ['/static/site.css', '/static/css/print.css'])
    assert [f for f in findings if f.severity == 'error'] == []


def test_static_on_a_real_server(static, live_server):
    """Through waitress (its wsgi.file_wrapper, its path decoding), not only WebTest."""
    import http.client
    from urllib.parse import urlsplit
    url = urlsplit(live_server(static))
    cases = [('/static/site.css', {}, 200, CSS),
             ('/static/site.css', {'Range': 'bytes=2-5'}, 206, CSS[2:6]),
             ('/static/../canary.txt', {}, 404, None),
             ('/static/%2e%2e/canary.txt', {}, 404, None),
             ('/static/..%2f..%2fcanary.txt', {}, 404, None),
             ('/static/..%5ccanary.txt', {}, 404, None),
             ('/static/site.css%00', {}, 404, None)]
    for path, headers, status, body in cases:
        conn = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
        try:
            conn.request('GET', path, headers=headers)
            resp = conn.getresponse()
            content = resp.read()
        finally:
            conn.close()
        assert resp.status == status, path
        assert b'CANARY' not in content
        if body is not None:
            assert content == body


def test_static_sample_names_a_file_for_the_lint(tmp_path):
    from webkit.lint import check_app
    (tmp_path / '.hidden').write_text('x')
    (tmp_path / 'b.css').write_text('b')
    (tmp_path / 'a.txt').write_text('a')
    static = Static(tmp_path)
    assert static.sample() == 'a.txt'
    routes = Dispatcher()
    routes.connect('static', '/static/{path:.*}', view=static)
    assert check_app(routes) == []
    empty = tmp_path / 'empty'
    empty.mkdir()
    assert Static(empty).sample() is None


# A date past what Python holds: WebOb's parser fails on it.
@pytest.mark.parametrize('headers', [
    {'If-Modified-Since': 'Sun, 06 Nov 99999 08:49:37 GMT'},
    {'If-Unmodified-Since': 'Sun, 06 Nov 99999 08:49:37 GMT'},
    {'If-Range': 'Sun, 06 Nov 99999 08:49:37 GMT', 'Range': 'bytes=0-3'},
    {'If-Range': 'not a date', 'Range': 'bytes=0-3'},
])
def test_static_ignores_a_date_header_that_holds_no_date(app, headers):
    # RFC 9110 13.1: ignored; an If-Range that matches nothing sends it all.
    res = app.get('/static/site.css', headers=headers)
    assert res.status_int == 200 and res.body == CSS


def test_static_hidden_file_reached_through_a_symlink_is_404(app, site):
    # The link's name is not hidden; what it resolves to is.
    (site / '.git').mkdir()
    (site / '.git' / 'config').write_bytes(b'[remote] url = secret')
    os.symlink(site / '.env', site / 'env.txt')
    os.symlink(site / '.git', site / 'repo')
    app.get('/static/env.txt', status=404)
    app.get('/static/repo/config', status=404)
    assert app.get('/static/site.css').body == CSS


@pytest.mark.parametrize('header', ['If-Modified-Since', 'If-Range'])
def test_a_webob_file_app_behind_any_layer_ignores_a_date_it_cannot_read(site, header):
    # Reached through req.get_response, or through middleware, not only returned.
    from webob.static import FileApp

    from webkit import wsgify
    files = FileApp(str(site / 'site.css'))
    through = wsgify(lambda req: req.get_response(files))
    around = wsgify.middleware(lambda req, app: req.get_response(app))(files)
    for app in (through, around):
        res = TestApp(app).get('/', headers={header: 'Sun, 06 Nov 99999 08:49:37 GMT'})
        assert res.status_int == 200 and res.body == CSS


@pytest.mark.parametrize('headers, status', [
    ({'If-Match': '"other"'}, 412),
    ({'If-Match': 'W/"{etag}"'}, 412),  # weak tags never match If-Match
    ({'If-Match': '"{etag}"'}, 200),
    ({'If-Match': '*'}, 200),
    ({'If-Unmodified-Since': 'Mon, 01 Jan 1990 00:00:00 GMT'}, 412),
    ({'If-Unmodified-Since': 'Fri, 01 Jan 2100 00:00:00 GMT'}, 200),
    ({'If-None-Match': '*'}, 304),  # "*" matches any current representation
])
def test_static_preconditions_are_those_of_any_webkit_response(app, headers, status):
    # RFC 9110 13.1: the same answers a handler's conditional response gets.
    etag = app.get('/static/site.css').headers['ETag'].strip('"')
    headers = {name: value.format(etag=etag) for name, value in headers.items()}
    res = app.get('/static/site.css', headers=headers, status=status)
    assert (res.body == CSS) == (status == 200)


def test_static_head_with_a_range_answers_in_full(app):
    # Range is defined for GET only (RFC 9110 14.2).
    head = app.head('/static/site.css', headers={'Range': 'bytes=0-3'}, status=200)
    assert head.headers['Content-Length'] == str(len(CSS)) and head.body == b''
