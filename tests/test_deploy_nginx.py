"""Several machines: two backends per application behind nginx, which terminates TLS.

nginx (Debian's) is started by the test with a configuration of its own in
a temporary folder, on free high ports of 127.0.0.1, with a throwaway
self-signed certificate; it balances round robin over two
``python -m webkit serve`` processes per application, which share the
secret (``WEBKIT_SECRET``) and the data folder. Chromium then uses the
questioner and the wiki over https. The configuration written here is the
one docs/deploy.rst shows.
"""
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import textwrap
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import ARTIFACTS, free_port

SECRET = 'shared-secret-of-both-backends-' * 2

DOCS = (Path(__file__).parent.parent / 'docs' / 'deploy.rst').read_text(encoding='utf-8')


def _site_in_the_docs():
    """The nginx site configuration docs/deploy.rst shows, as a template.

    Its backend and listen lines, certificate paths and upstream name are
    replaced by placeholders ({name}, {port}, {backends}, {certificate});
    everything else is used as written.
    """
    block = re.search(r'\.\. code-block:: nginx\n\n((?:    .*\n|\n)+)', DOCS)[1]
    site = textwrap.dedent(block).strip() + '\n'
    site = site.replace('{', '{{').replace('}', '}}')
    site = re.sub(r'(?m)^(    server \S+;\n)+', '{backends}\n', site)
    replacements = [(r'upstream shop ', 'upstream {name} '), (r'http://shop;', 'http://{name};'),
                    (r'listen 443 ssl;', 'listen 127.0.0.1:{port} ssl;'),
                    (r'server_name \S+;', 'server_name localhost;'),
                    (r'ssl_certificate \S+;', 'ssl_certificate {certificate}.crt;'),
                    (r'ssl_certificate_key \S+;', 'ssl_certificate_key {certificate}.key;')]
    for pattern, replacement in replacements:
        site, count = re.subn(pattern, replacement, site)
        assert count == 1, f'docs/deploy.rst: the nginx example lost {pattern!r}'
    # Only for the test: which backend answered.
    return site.replace('    location / {{\n',
                        '    location / {{\n        add_header X-Backend $upstream_addr always;\n')


def _commands_in_the_docs(start):
    """The command lines of docs/deploy.rst that begin with ``start``."""
    return [shlex.split(line) for line in re.findall(rf'(?m)^ +({re.escape(start)}.*)$', DOCS)]


#: The site's part of nginx.conf: {name}, {port}, {backends} and
#: {certificate} are filled in.
SITE = _site_in_the_docs()

#: The rest of the configuration: everything in the test's own folder.
MAIN = '''\
{user}
worker_processes 1;
daemon off;
pid {root}/nginx.pid;
error_log {root}/error.log info;
events {{ worker_connections 64; }}
http {{
    access_log {root}/access.log;
    client_body_temp_path {root}/body;
    proxy_temp_path {root}/proxy;
    fastcgi_temp_path {root}/fastcgi;
    uwsgi_temp_path {root}/uwsgi;
    scgi_temp_path {root}/scgi;
{sites}
}}
'''


def _require(program, package):
    found = shutil.which(program) or (shutil.which(program, path='/usr/sbin:/sbin'))
    if found is None:
        message = (f'this test needs {program}: apt-get install --no-install-recommends '
                   f'{package} (.ci/run installs it)')
        if os.environ.get('CI', '').lower() in ('true', '1', 'yes'):
            pytest.fail(message)
        pytest.skip(message)
    return found


@pytest.fixture
def nginx(tmp_path):
    """``start(sites)``: nginx serving ``{name: (port, [backend ports])}`` over TLS."""
    executable = _require('nginx', 'nginx')
    openssl = _require('openssl', 'openssl')
    root = tmp_path / 'nginx'
    root.mkdir()
    certificate = root / 'localhost'
    [command] = _commands_in_the_docs('openssl ')      # the one docs/deploy.rst shows
    subprocess.run([openssl, *command[1:]], cwd=root, check=True, capture_output=True,
                   timeout=60)
    processes = []

    def start(sites):
        conf = root / 'nginx.conf'
        conf.write_text(MAIN.format(
            root=root, user='user root;' if os.geteuid() == 0 else '',
            sites=''.join(SITE.format(
                name=name, port=port, certificate=certificate,
                backends='\n'.join(f'    server 127.0.0.1:{backend};' for backend in backends))
                for name, (port, backends) in sites.items())))
        process = subprocess.Popen([executable, '-p', str(root), '-c', str(conf),
                                    '-e', str(root / 'error.log')],
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        processes.append(process)
        for port, _ in sites.values():
            _wait_for_tls(process, port, root)
        return process

    start.root = root
    yield start
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGQUIT)   # graceful: workers finish, then exit
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
        process.stdout.close()


def _wait_for_tls(process, port, root, timeout=15):
    import socket
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f'nginx exited with {process.returncode}:\n'
                        + process.stdout.read().decode(errors='replace')
                        + (root / 'error.log').read_text(errors='replace'))
        try:
            socket.create_connection(('127.0.0.1', port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    pytest.fail(f'nginx did not listen on {port} within {timeout} s')


def _backends(server_process, spec, public, env):
    """Two ``python -m webkit serve`` processes of ``spec``, behind the proxy at ``public``."""
    [command] = [argv for argv in _commands_in_the_docs('python -m webkit serve')
                 if '--base-url' in argv]            # the one docs/deploy.rst shows
    values = {'--base-url': public, '--allowed-host': 'localhost', '--trusted-proxy': '127.0.0.1'}
    ports = [free_port(), free_port()]
    for port in ports:
        argv = [sys.executable, *command[1:]]
        argv[argv.index('examples.wiki.app:application')] = spec
        for option, value in {**values, '--port': str(port)}.items():
            argv[argv.index(option) + 1] = value
        server_process(argv, port, extra_env={'WEBKIT_SECRET': SECRET, **env})
    return ports


@pytest.fixture
def browser(chromium, request):
    context = chromium.new_context(ignore_https_errors=True)
    # The favicon would take a turn of the round robin between a form and its post.
    context.route('**/favicon.ico', lambda route: route.abort())
    page = context.new_page()
    page.set_default_timeout(15_000)
    answers = []
    page.on('response', lambda res: answers.append(
        (res.request.method, res.url, res.status, res.headers.get('x-backend'))))
    page.answers = answers
    yield page
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS / f'{request.node.name}.png', full_page=True)
    context.close()


def test_deploy_nginx_tls_two_backends_each_chromium(nginx, server_process, browser, tmp_path):
    shared = tmp_path / 'shared'
    wiki_port, questioner_port = free_port(), free_port()
    wiki_url = f'https://localhost:{wiki_port}'
    questioner_url = f'https://localhost:{questioner_port}'
    wiki = _backends(server_process, 'examples.wiki.app:application', wiki_url,
                     {'WIKI_FILE_PATH': str(shared / 'wiki')})
    questioner = _backends(server_process, 'examples.questioner.app:application',
                           questioner_url, {'QUESTIONER_DATA': str(shared / 'questioner')})
    nginx({'wiki': (wiki_port, wiki), 'questioner': (questioner_port, questioner)})
    page = browser

    # The questioner: a registration whose form and post reach different backends.
    page.goto(questioner_url + '/')
    page.fill('#username', 'ada')
    page.fill('#password', 'analytical')
    page.fill('#password_confirm', 'analytical')
    page.fill('#q-name', 'Ada')
    page.fill('#q-quest', 'Engines')
    page.select_option('#q-color', 'blue')
    page.click('button[type=submit]')
    page.wait_for_url(questioner_url + '/thanks')
    assert page.inner_text('h1') == 'Thank you!'

    # The wiki: a page written, then edited; "Saved." is flashed across backends.
    page.goto(wiki_url + '/')
    page.click('text=Write the front page')
    page.fill('#text', 'Welcome! See [[Second Page]].')
    page.click('#edit button.primary')
    page.wait_for_url(wiki_url + '/')
    assert page.inner_text('.flash') == 'Saved.'
    page.click('.actions >> text=Edit')
    page.fill('#text', 'Welcome back!')
    page.click('#edit button.primary')
    page.wait_for_url(wiki_url + '/')
    assert page.inner_text('.flash') == 'Saved.'
    assert 'Welcome back!' in page.inner_text('article')

    answers = [answer for answer in page.answers if answer[2] != 0]
    assert all(status < 400 for _, _, status, _ in answers), answers      # no 403
    served = {backend for *_, backend in answers}
    assert served == {f'127.0.0.1:{port}' for port in wiki + questioner}, answers
    posts = [(index, answer) for index, answer in enumerate(answers) if answer[0] == 'POST']
    assert len(posts) == 3 and all(answer[2] == 303 for _, answer in posts)
    # Each form was shown by one backend and posted to the other.
    assert all(answers[index - 1][3] != answer[3] for index, answer in posts), answers
    # Redirects went to the https public URLs, and the cookies were the secure ones.
    cookies = page.context.cookies()
    assert cookies and all(cookie['secure'] and cookie['name'].startswith('__Host-')
                           for cookie in cookies)
    # One shared secret from the environment: no folder made its own.
    assert not (shared / 'wiki' / 'secret').exists()
    assert not (shared / 'questioner' / 'secret').exists()


def test_deploy_nginx_foreign_host_is_400_redirects_are_https_health_is_ok(
        nginx, server_process, tmp_path):
    """Through the proxy: a Host outside allowed_hosts is a 400 from the backend."""
    port = free_port()
    backends = _backends(server_process, 'examples.wiki.app:application',
                         f'https://localhost:{port}', {'WIKI_FILE_PATH': str(tmp_path / 'w')})
    nginx({'wiki': (port, backends)})
    import ssl
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE

    def get(path, host, **headers):
        request = urllib.request.Request(f'https://127.0.0.1:{port}{path}',
                                         headers={'Host': host, **headers})
        opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=context),
                                             _NoRedirect)
        try:
            with opener.open(request, timeout=10) as res:
                return res.status, res.headers, res.read()
        except urllib.error.HTTPError as error:
            return error.code, error.headers, error.read()

    assert get('/-/health', 'evil.example')[0] == 400
    status, headers, _ = get('/Front%20Page', f'localhost:{port}')
    assert status == 301 and headers['Location'] == f'https://localhost:{port}/'
    # A client's own proxy headers are emptied by nginx or removed by the
    # backend, so never believed.
    status, headers, _ = get('/Front%20Page', f'localhost:{port}', **{
        'X-Forwarded-Port': '1234', 'X-Forwarded-Host': 'evil.example',
        'X-Forwarded-Proto': 'http', 'Forwarded': 'host=evil.example;proto=http'})
    assert status == 301 and headers['Location'] == f'https://localhost:{port}/'
    for _ in backends:                       # each backend in turn
        status, headers, body = get('/-/health', f'localhost:{port}')
        assert (status, body) == (200, b'ok') and 'Set-Cookie' not in headers


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args):
        return None


def test_deploy_docs_commands_are_the_command_lines_options():
    """Each ``python -m webkit serve`` line of docs/deploy.rst parses (the nginx test runs one)."""
    from webkit.__main__ import _parser
    commands = _commands_in_the_docs('python -m webkit serve')
    assert len(commands) >= 3
    for argv in commands:
        args = _parser().parse_args(argv[3:])
        assert args.command == 'serve' and args.app == 'examples.wiki.app:application'
