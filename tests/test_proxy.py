"""The public origin: base URL, allowed hosts, trusted proxies (webkit.proxy)."""
import json
import os
import re
import subprocess
import sys
import urllib.error
import urllib.request

import pytest
from hypothesis import given, settings, strategies as st
from webob import Response, exc
from webtest import TestApp

from tests.conftest import SECRET, free_port
from webkit import CSRFProtection, Dispatcher, Sessions, flash, pop_flashes, wsgify
from webkit.exc import ConfigurationError
from webkit.forms import render_form
from webkit.proxy import PublicOrigin
from webkit.request import PUBLIC_URL

PROXY = '10.0.0.2'
CLIENT = '203.0.113.9'


@wsgify
def echo(req):
    """What the application is told about the request, as JSON."""
    return Response(json={'url': req.public_host_url, 'scheme': req.scheme,
                          'host': req.host, 'remote': req.remote_addr,
                          'client_addr': req.client_addr,
                          'proxy_headers': sorted(key for key in req.environ
                                                  if 'FORWARDED' in key)})


def ask(layer, remote=PROXY, host='shop.example', **headers):
    environ = {'REMOTE_ADDR': remote, 'HTTP_HOST': host}
    return TestApp(layer).get('/', headers=headers, extra_environ=environ).json


# -- behind a TLS-terminating proxy, forms post -----------------------------------

def _signup():
    @wsgify
    def signup(req):
        if req.method == 'POST':
            flash(req, 'Welcome!')
            return exc.HTTPSeeOther(location='/')
        return ' '.join(pop_flashes(req)) + render_form('<form method="post"></form>', req=req)
    return Sessions(CSRFProtection(signup, SECRET), SECRET)


def _post_through_proxy(app):
    """A browser at https://shop.example, a proxy at PROXY speaking HTTP to ``app``."""
    client = TestApp(app)
    proxied = {'REMOTE_ADDR': PROXY, 'HTTP_HOST': 'shop.example'}
    forwarded = {'X-Forwarded-Proto': 'https', 'X-Forwarded-For': CLIENT}
    page = client.get('/', headers=forwarded, extra_environ=proxied)
    cookie = '; '.join(value.split(';')[0] for name, value in page.headerlist
                       if name == 'Set-Cookie')
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)[1]
    return client.post('/', {'csrf_token': token}, expect_errors=True, extra_environ=proxied,
                       headers={**forwarded, 'Cookie': cookie,
                                'Origin': 'https://shop.example'})


def test_proxy_form_post_from_https_origin_passes_behind_a_trusted_proxy():
    res = _post_through_proxy(PublicOrigin(_signup(), trusted_proxies=[PROXY]))
    assert res.status_int == 303
    assert res.headers['Location'] == 'https://shop.example/'
    # The cookies are the HTTPS ones: Secure, and __Host- prefixed.
    assert all(value.startswith('__Host-') and 'secure' in value.lower()
               for name, value in res.headerlist if name == 'Set-Cookie')


def test_proxy_form_post_with_base_url_passes_behind_any_proxy():
    res = _post_through_proxy(PublicOrigin(_signup(), base_url='https://shop.example'))
    assert res.status_int == 303
    assert res.headers['Location'] == 'https://shop.example/'


def test_proxy_form_post_without_the_layer_is_refused():
    """The failure the layer fixes: the Origin is https, the request seems http."""
    assert _post_through_proxy(_signup()).status_int == 403


# -- trusted proxies ------------------------------------------------------------

def test_proxy_headers_of_a_trusted_proxy_set_scheme_host_and_client():
    seen = ask(PublicOrigin(echo, trusted_proxies=['10.0.0.0/8']), host='backend:8080', **{
        'X-Forwarded-Proto': 'https', 'X-Forwarded-Host': 'shop.example',
        'X-Forwarded-For': CLIENT})
    assert seen == {'url': 'https://shop.example', 'scheme': 'https', 'host': 'shop.example',
                    'remote': CLIENT, 'client_addr': CLIENT, 'proxy_headers': []}


@pytest.mark.parametrize('remote', ['198.51.100.7', '10.0.0.2.evil', '', 'unix'])
def test_proxy_headers_of_an_untrusted_peer_are_ignored_and_removed(remote):
    seen = ask(PublicOrigin(echo, trusted_proxies=['10.0.0.0/8']), remote=remote, **{
        'X-Forwarded-Proto': 'https', 'X-Forwarded-Host': 'evil.example',
        'X-Forwarded-For': CLIENT, 'Forwarded': 'for=1.2.3.4;proto=https'})
    assert seen['url'] == 'http://shop.example'
    assert seen['remote'] == remote and seen['client_addr'] == remote
    assert seen['proxy_headers'] == []   # WebOb's client_addr would have read X-Forwarded-For


def test_proxy_headers_are_not_read_without_trusted_proxies():
    seen = ask(PublicOrigin(echo, allowed_hosts=['shop.example']), remote='127.0.0.1',
               **{'X-Forwarded-Proto': 'https', 'X-Forwarded-For': CLIENT})
    assert (seen['url'], seen['remote']) == ('http://shop.example', '127.0.0.1')


@pytest.mark.parametrize('chain, client', [
    (CLIENT, CLIENT),
    (f'1.2.3.4, {CLIENT}', CLIENT),                      # the client's own claim is not believed
    (f'1.2.3.4, {CLIENT}, 10.0.0.7', CLIENT),            # an inner proxy is walked past
    ('10.0.0.5, 10.0.0.7', '10.0.0.5'),                  # only proxies: the first
    ('unknown', PROXY),                                  # no address: the peer stays
    (f'{CLIENT}:4711', CLIENT),
])
def test_proxy_client_address_is_the_last_untrusted_hop(chain, client):
    seen = ask(PublicOrigin(echo, trusted_proxies=['10.0.0.0/8']), **{'X-Forwarded-For': chain})
    assert seen['remote'] == client


@pytest.mark.parametrize('header, url, remote', [
    ('for=203.0.113.9;proto=https;host=shop.example', 'https://shop.example', CLIENT),
    ('For="[2001:db8::1]:4711";Proto=HTTPS', 'https://shop.example', '2001:db8::1'),
    ('for=1.2.3.4;host=evil.example, for=203.0.113.9;host="shop.example:8443";proto=https',
     'https://shop.example:8443', CLIENT),
    ('for=203.0.113.9;proto=https, for=10.0.0.7;proto=http', 'https://shop.example', CLIENT),
    ('for=_hidden;proto=https', 'https://shop.example', PROXY),
    ('for=203.0.113.9;proto=https;', 'https://shop.example', CLIENT),
    ('for=203.0.113.9;proto=gopher;host="a b"', 'http://shop.example', CLIENT),
    ('for=203.0.113.9;proto', 'http://shop.example', PROXY),   # malformed: ignored
    ('for="unterminated', 'http://shop.example', PROXY),
    # The client's junk, then the element the proxy appended: the proxy is heard.
    ('for=198.51.100.1;junk junk, for=203.0.113.9;proto=https', 'https://shop.example', CLIENT),
    ('", for=203.0.113.9;proto=https', 'https://shop.example', CLIENT),
    ('a="x, for=1.2.3.4, for=203.0.113.9;proto=https', 'https://shop.example', CLIENT),
])
def test_proxy_forwarded_header(header, url, remote):
    layer = PublicOrigin(echo, trusted_proxies=['10.0.0.0/8'], proxy_headers='forwarded')
    seen = ask(layer, Forwarded=header, **{'X-Forwarded-Proto': 'https'})
    assert (seen['url'], seen['remote']) == (url, remote)


def test_proxy_forwarded_is_not_read_when_the_proxy_sends_x_forwarded():
    """A proxy passes on the headers it does not set itself: they are the client's."""
    seen = ask(PublicOrigin(echo, trusted_proxies=[PROXY]),
               Forwarded='for=1.2.3.4;proto=https;host=evil.example')
    assert (seen['url'], seen['remote']) == ('http://shop.example', PROXY)


def test_proxy_trusts_ipv6_and_ipv4_mapped_peers():
    layer = PublicOrigin(echo, trusted_proxies=['127.0.0.1', '::1'])
    assert layer.trusts('::1') and layer.trusts('::ffff:127.0.0.1')
    assert not layer.trusts('::2') and not layer.trusts('localhost')


# -- allowed hosts --------------------------------------------------------------

def test_proxy_host_outside_allowed_hosts_is_400_before_the_application():
    calls = []
    layer = PublicOrigin(lambda environ, start_response: calls.append(environ),
                         allowed_hosts=['shop.example'])
    res = TestApp(layer).get('/', extra_environ={'HTTP_HOST': 'evil.example'}, status=400)
    assert 'evil.example' not in res.text and calls == []


def test_proxy_forwarded_host_is_checked_too():
    layer = PublicOrigin(echo, allowed_hosts=['shop.example'], trusted_proxies=[PROXY])
    environ = {'REMOTE_ADDR': PROXY, 'HTTP_HOST': 'shop.example'}
    TestApp(layer).get('/', headers={'X-Forwarded-Host': 'evil.example'},
                       extra_environ=environ, status=400)


@pytest.mark.parametrize('allowed, host, expected', [
    ('shop.example', 'shop.example', True),
    ('shop.example', 'SHOP.Example.', True),
    ('shop.example', 'shop.example:8443', True),        # a name alone allows any port
    ('shop.example:8443', 'shop.example:8443', True),
    ('shop.example:8443', 'shop.example', False),
    ('shop.example:8443', 'shop.example:443', False),
    ('shop.example', 'www.shop.example', False),
    ('shop.example', 'evilshop.example', False),
    ('.shop.example', 'shop.example', True),
    ('.shop.example', 'www.shop.example:80', True),
    ('.shop.example', 'evilshop.example', False),
    ('.shop.example', 'shop.example.evil', False),
    ('[::1]', '[::1]:8080', True),
    ('[::1]', '[::2]', False),
    ('127.0.0.1', '127.0.0.1:8080', True),
    ('shop.example', 'shop.example@evil.example', False),
    ('shop.example', '', False),
    ('shop.example', 'shop.example, evil.example', False),
])
def test_proxy_allowed_hosts(allowed, host, expected):
    assert PublicOrigin(echo, allowed_hosts=[allowed]).allows(host) is expected


def test_proxy_base_url_host_is_always_allowed():
    layer = PublicOrigin(echo, base_url='https://shop.example', allowed_hosts='backend')
    assert layer.allows('shop.example') and layer.allows('backend:8080')
    assert not layer.allows('evil.example')


def test_proxy_request_without_host_is_checked_by_server_name():
    layer = PublicOrigin(echo, allowed_hosts=['shop.example'])
    app = TestApp(layer)
    app.get('/', extra_environ={'HTTP_HOST': '', 'SERVER_NAME': '0.0.0.0'}, status=400)
    app.get('/', extra_environ={'HTTP_HOST': '', 'SERVER_NAME': 'shop.example'}, status=200)


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet='abcdefghijklmnopqrstuvwxyz0123456789.-:[]@, ', max_size=30))
def test_proxy_any_host_header_is_allowed_only_when_it_names_an_allowed_host(host):
    """Whatever the Host says, it passes only if its name is shop.example."""
    layer = PublicOrigin(echo, allowed_hosts=['shop.example', '.api.example'])
    name = host.lower().rpartition(':')[0] if ':' in host else host.lower()
    named = name.rstrip('.') in ('shop.example', 'api.example') or (
        name.rstrip('.').endswith('.api.example'))
    if layer.allows(host):
        assert named


# -- base_url -------------------------------------------------------------------

class Pages:
    routes = Dispatcher()
    routes.connect('home', '/', 'home')
    routes.connect('page', '/{title}', 'page')

    def home(self, req):
        return exc.HTTPFound(location=req.link('page', title='Front'))

    def page(self, req, title):
        return req.link('page', title=title, qualified=True)

    __call__ = routes


@pytest.mark.parametrize('host', ['evil.example', 'shop.example'])
def test_proxy_base_url_makes_links_and_redirects_public_whatever_the_host(host):
    app = TestApp(PublicOrigin(Pages(), base_url='https://shop.example/'))
    environ = {'HTTP_HOST': host}
    assert app.get('/', extra_environ=environ).headers['Location'] == \
        'https://shop.example/Front'
    assert app.get('/Front', extra_environ=environ).text == 'https://shop.example/Front'


def test_proxy_base_url_wins_over_the_dispatchers_own():
    @wsgify
    def public(req):
        return req.environ[PUBLIC_URL]
    routes = Dispatcher(base_url='https://old.example')
    routes.connect('public', '/', public)
    layer = PublicOrigin(routes, base_url='HTTPS://Shop.Example:443')
    assert TestApp(layer).get('/').text == 'https://shop.example'


def test_proxy_wiki_host_header_never_makes_an_evil_location(tmp_path):
    """The wiki's front-page redirect used to go to whatever Host said (cacheable)."""
    from examples.wiki.app import make_app
    wiki = make_app(file_path=str(tmp_path / 'wiki'), secret=SECRET)
    evil = {'HTTP_HOST': 'evil.example'}
    TestApp(PublicOrigin(wiki, allowed_hosts=['wiki.example'])).get(
        '/Front%20Page', extra_environ=evil, status=400)
    res = TestApp(PublicOrigin(wiki, base_url='https://wiki.example')).get(
        '/Front%20Page', extra_environ=evil)
    assert 'evil.example' not in str(res)
    assert res.headers['Location'].startswith('https://wiki.example/')


# -- configuration --------------------------------------------------------------

@pytest.mark.parametrize('settings, what', [
    ({'base_url': 'shop.example'}, 'base_url'),
    ({'base_url': 'ftp://shop.example'}, 'base_url'),
    ({'base_url': 'https://shop.example/app'}, 'base_url'),
    ({'base_url': 'https://user@shop.example'}, 'base_url'),
    ({'base_url': 'https://shop.example/?a=1'}, 'base_url'),
    ({'allowed_hosts': ['shop example']}, 'allowed_hosts'),
    ({'allowed_hosts': ['*']}, 'allowed_hosts'),
    ({'allowed_hosts': [None]}, 'allowed_hosts'),
    ({'trusted_proxies': ['10.0.0.0/33']}, 'trusted_proxies'),
    ({'trusted_proxies': ['proxy.example']}, 'trusted_proxies'),
    ({'proxy_headers': 'x-real-ip'}, 'proxy_headers'),
])
def test_proxy_bad_settings_are_refused_at_set_up(settings, what):
    with pytest.raises(ConfigurationError) as info:
        PublicOrigin(echo, **settings)
    assert info.value.what == what


def test_proxy_settings_as_words_and_repr():
    layer = PublicOrigin(echo, base_url='https://shop.example',
                         allowed_hosts='shop.example, .api.example',
                         trusted_proxies='10.0.0.0/8 127.0.0.1')
    assert repr(layer) == ("PublicOrigin(wsgify(echo), "
                           "base_url='https://shop.example', "
                           "allowed_hosts=('shop.example', '.api.example'), "
                           "trusted_proxies=('10.0.0.0/8', '127.0.0.1'))")
    assert repr(PublicOrigin(echo)) == 'PublicOrigin(wsgify(echo))'


def test_proxy_lets_probes_through_to_the_application():
    from webkit.dispatch import route_table
    layer = PublicOrigin(Pages(), allowed_hosts=['shop.example'])
    assert route_table(layer) is Pages.routes


# -- the server, the command line -------------------------------------------------

def _get(url, **headers):
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers),
                                    timeout=10) as res:
            return res.status, res.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_proxy_settings_of_make_server(live_server):
    url = live_server(echo, base_url='https://shop.example', allowed_hosts=['127.0.0.1'],
                      trusted_proxies=['127.0.0.1'])
    status, body = _get(url, **{'X-Forwarded-For': CLIENT, 'X-Forwarded-Proto': 'https'})
    seen = json.loads(body)
    assert (status, seen['url'], seen['scheme'], seen['remote']) == (
        200, 'https://shop.example', 'https', CLIENT)
    assert _get(url, Host='evil.example')[0] == 400


def test_proxy_server_without_settings_drops_proxy_headers(live_server):
    url = live_server(echo)
    seen = json.loads(_get(url, **{'X-Forwarded-For': CLIENT, 'X-Forwarded-Proto': 'https'})[1])
    assert (seen['scheme'], seen['remote'], seen['proxy_headers']) == ('http', '127.0.0.1', [])


def test_proxy_cli_serves_with_the_settings(server_process, tmp_path):
    (tmp_path / 'echo_app.py').write_text(
        'from tests.test_proxy import echo as application\n')
    port = free_port()
    process = server_process([sys.executable, '-m', 'webkit', 'serve', 'echo_app:application',
                    '--port', str(port), '--base-url', 'https://shop.example',
                    '--allowed-host', '127.0.0.1', '--allowed-host', 'shop.example',
                    '--trusted-proxy', '127.0.0.1'], port, cwd=tmp_path,
                   extra_env={'PYTHONPATH': f'{tmp_path}:{os.getcwd()}'})
    url = f'http://127.0.0.1:{port}/'
    assert process.stdout.readline().decode().strip() == (
        f'Serving on http://127.0.0.1:{port} (public URL https://shop.example)')
    seen = json.loads(_get(url, **{'X-Forwarded-For': CLIENT, 'X-Forwarded-Proto': 'https'})[1])
    assert (seen['url'], seen['scheme'], seen['remote']) == ('https://shop.example', 'https',
                                                            CLIENT)
    assert _get(url, Host='evil.example')[0] == 400


def test_proxy_cli_bad_setting_exits_1_naming_it():
    result = subprocess.run([sys.executable, '-m', 'webkit', 'serve', 'tests.test_proxy:echo',
                             '--port', '0', '--base-url', 'shop.example'],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert result.stderr.startswith('error: base_url: expected the scheme and host')


class _Redirects:
    routes = Dispatcher()
    routes.connect('relative', '/a/relative', 'relative')
    routes.connect('slash', '/a/slash', 'slash')
    routes.connect('itself', '/a/itself', 'itself')
    routes.connect('created', '/a/created', 'created', methods=['POST'])

    def relative(self, req):
        raise exc.HTTPFound(location='next?page=2')

    def slash(self, req):
        return exc.HTTPMovedPermanently(add_slash=True)

    def itself(self, req):
        raise exc.HTTPSeeOther()  # to the request's own URL

    def created(self, req):
        return Response(status=201, location='items/7')

    __call__ = routes


@pytest.mark.parametrize('method, path, location', [
    ('GET', '/a/relative', 'https://shop.example/a/next?page=2'),
    ('GET', '/a/slash', 'https://shop.example/a/slash/'),
    ('GET', '/a/itself', 'https://shop.example/a/itself'),
    ('POST', '/a/created', 'https://shop.example/a/items/7'),
])
def test_every_location_goes_to_the_public_url_whatever_host_the_client_sent(method, path,
                                                                              location):
    # WebOb makes a Location absolute from the Host header: a relative one,
    # add_slash and a redirect to the request itself went to evil.example.
    app = TestApp(PublicOrigin(_Redirects(), base_url='https://shop.example'),
                  extra_environ={'HTTP_HOST': 'evil.example'})
    res = app.request(path, method=method)
    assert res.headers['Location'] == location
