"""Serving on waitress: safe settings, aligned limits, clear errors."""
import os
import signal
import socket
import threading
import time
import urllib.request

import pytest

from webkit import Request, ServerError, make_server, serve, wsgify
from webkit.server import SAFE_SETTINGS


def test_make_server_serves_on_a_free_port():
    server = make_server(wsgify(lambda req: 'served'), '127.0.0.1', 0)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        url = f'http://127.0.0.1:{server.effective_port}/'
        with urllib.request.urlopen(url, timeout=10) as res:
            assert res.read() == b'served' and res.headers['Server'] == 'webkit'
    finally:
        server.close()
        thread.join(timeout=5)


def test_make_server_applies_safe_settings_and_the_apps_body_limit():
    class Uploads(Request):
        max_body_size = 5 * 1024 * 1024

    server = make_server(wsgify(lambda req: '', RequestClass=Uploads), port=0)
    try:
        assert server.adj.expose_tracebacks is False
        assert server.adj.channel_timeout == SAFE_SETTINGS['channel_timeout']
        # waitress refuses a body of max_request_body_size bytes; webkit takes it
        assert server.adj.max_request_body_size == 5 * 1024 * 1024 + 1
    finally:
        server.close()
    plain = make_server(lambda environ, start_response: [], port=0, channel_timeout=5)
    try:
        assert plain.adj.max_request_body_size == Request.max_body_size + 1
        assert plain.adj.channel_timeout == 5
    finally:
        plain.close()


def test_the_loop_leaves_a_connection_alone_while_its_request_thread_sends():
    # Else waitress's loop polls it as writable, finds the output lock
    # taken, and polls again at once until the thread is done: a spin.
    server = make_server(wsgify(lambda req: ''), '127.0.0.1', 0)
    ours, theirs = socket.socketpair()
    channel = server.channel_class(server, ours, ('127.0.0.1', 0), server.adj, map={})
    held, done = threading.Event(), threading.Event()

    def send():  # what a request's thread does in waitress's write_soon
        with channel.outbuf_lock:
            held.set()
            done.wait(10)

    sender = threading.Thread(target=send)
    try:
        assert not channel.writable()  # nothing to send
        channel.requests = ['a request being served']
        channel.total_outbufs_len = 1
        assert channel.writable()  # output left for the loop to send
        sender.start()
        assert held.wait(10)
        assert not channel.writable()  # the request's thread is sending it
        channel.will_close = True
        assert channel.writable()  # closing is the loop's to do
        channel.will_close = False
        done.set()
        sender.join(10)
        assert channel.writable()  # the thread is done: the loop sends what is left
    finally:
        done.set()
        channel.handle_close()
        theirs.close()
        server.close()


def test_make_server_port_in_use_raises_with_data():
    with socket.socket() as taken:
        taken.bind(('127.0.0.1', 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(ServerError) as info:
            make_server(wsgify(lambda req: ''), '127.0.0.1', port)
    assert (info.value.host, info.value.port) == ('127.0.0.1', port)
    assert info.value.reason == 'the address is already in use'
    assert isinstance(info.value, OSError)


def test_make_server_other_socket_errors_keep_their_reason():
    with pytest.raises(ServerError) as info:
        make_server(wsgify(lambda req: ''), '203.0.113.1', 0)  # not an address of ours
    assert info.value.reason and 'already in use' not in info.value.reason


def test_serve_runs_until_interrupted_then_closes(capsys):
    def interrupt(signum, frame):
        raise KeyboardInterrupt  # what Ctrl-C does

    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.setitimer(signal.ITIMER_REAL, 0.5)
    try:
        serve(wsgify(lambda req: ''), '127.0.0.1', 0)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert capsys.readouterr().out.startswith('Serving on http://127.0.0.1:')


def test_serve_stops_on_sigterm_and_restores_the_handler(capsys):
    received = []

    def interrupt(signum, frame):
        received.append(signum)
        raise KeyboardInterrupt  # serve did not handle SIGTERM: stop it anyway

    previous_alarm = signal.signal(signal.SIGALRM, interrupt)
    previous_term = signal.signal(signal.SIGTERM, interrupt)
    timer = threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGTERM))
    timer.start()
    try:
        signal.setitimer(signal.ITIMER_REAL, 5)
        serve(wsgify(lambda req: ''), '127.0.0.1', 0)  # returns, as on Ctrl-C
        assert received == [] and signal.getsignal(signal.SIGTERM) is interrupt
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        timer.cancel()
        signal.signal(signal.SIGALRM, previous_alarm)
        signal.signal(signal.SIGTERM, previous_term)
    assert capsys.readouterr().out.startswith('Serving on http://127.0.0.1:')


def test_serve_in_a_thread_leaves_signals_alone(monkeypatch):
    import webkit.server
    servers = []

    def make_and_keep(*args, **kw):
        servers.append(make_server(*args, **kw))
        return servers[-1]

    monkeypatch.setattr(webkit.server, 'make_server', make_and_keep)
    handler = signal.getsignal(signal.SIGTERM)
    thread = threading.Thread(target=serve, args=(wsgify(lambda req: ''), '127.0.0.1', 0))
    thread.start()
    deadline = time.monotonic() + 10
    while not servers and time.monotonic() < deadline:
        time.sleep(0.01)
    servers[0].close()  # with nothing left to watch, run() returns
    thread.join(timeout=10)
    assert not thread.is_alive() and signal.getsignal(signal.SIGTERM) is handler


def test_make_server_body_limit_follows_a_class_dispatcher_and_middleware():
    from webkit import Dispatcher

    class Uploads(Request):
        max_body_size = 5 * 1024 * 1024

    class Site:
        routes = Dispatcher(RequestClass=Uploads)
        routes.connect('up', '/up', 'up', methods=['POST'])

        def up(self, req):
            return str(len(req.body))

        __call__ = routes

    @wsgify.middleware
    def passthrough(req, app):
        return app

    for app in (Site(), passthrough(Site())):
        server = make_server(app, port=0)
        try:
            assert server.adj.max_request_body_size == 5 * 1024 * 1024 + 1
        finally:
            server.close()


@pytest.mark.parametrize('host, port, reason_part', [
    ('127.0.0.1', 70000, 'port'),
    ('127.0.0.1', -1, 'port'),
    ('127.0.0.1', 'http', 'port'),
    ('no-such-host.invalid', 0, 'no-such-host.invalid'),
])
def test_make_server_bad_host_or_port_raises_server_error(host, port, reason_part):
    with pytest.raises(ServerError) as info:
        make_server(wsgify(lambda req: ''), host, port)
    assert (info.value.host, info.value.port) == (host, port)
    assert reason_part in str(info.value)


def test_make_server_max_body_size_wins_over_the_apps_limit():
    server = make_server(wsgify(lambda req: ''), port=0, max_body_size=10)
    try:
        assert server.adj.max_request_body_size == 11
    finally:
        server.close()


@pytest.mark.parametrize('inherited', [signal.SIG_IGN, signal.default_int_handler])
def test_serve_stops_on_sigint_even_when_it_was_ignored(capsys, inherited):
    """A process started with `&` by a non-interactive shell inherits SIGINT ignored."""
    def interrupt(signum, frame):
        raise KeyboardInterrupt  # serve did not handle SIGINT: stop it anyway

    previous_alarm = signal.signal(signal.SIGALRM, interrupt)
    previous_int = signal.signal(signal.SIGINT, inherited)
    timer = threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    try:
        signal.setitimer(signal.ITIMER_REAL, 5)
        serve(wsgify(lambda req: ''), '127.0.0.1', 0)
        stopped_by_alarm = signal.getitimer(signal.ITIMER_REAL)[0] == 0
        assert not stopped_by_alarm and signal.getsignal(signal.SIGINT) is inherited
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        timer.cancel()
        signal.signal(signal.SIGALRM, previous_alarm)
        signal.signal(signal.SIGINT, previous_int)


@pytest.mark.parametrize('text, size', [
    ('1048576', 1048576), ('512K', 512 * 1024), ('50M', 50 * 1024 * 1024),
    ('1g', 1024 ** 3), (' 10 kb ', 10 * 1024), ('0', 0),
])
def test_parse_size_reads_bytes_and_suffixes(text, size):
    from webkit.server import parse_size
    assert parse_size(text) == size


@pytest.mark.parametrize('text', ['', '-1', '1.5M', '10T', 'M', 'ten'])
def test_parse_size_refuses_other_text(text):
    from webkit.server import parse_size
    with pytest.raises(ValueError):
        parse_size(text)


def test_server_runner_converts_paste_deploy_text(monkeypatch):
    import webkit.server
    calls = []
    monkeypatch.setattr(webkit.server, 'serve', lambda app, **kw: calls.append((app, kw)))
    app = wsgify(lambda req: '')
    webkit.server.server_runner(app, {'here': '/'}, host='127.0.0.1', port='8081',
                                threads='2', access_log='true', max_body_size='2M',
                                request_timeout='7.5', channel_timeout='9')
    assert calls == [(app, {'host': '127.0.0.1', 'port': 8081, 'threads': 2,
                            'access_log': True, 'max_body_size': 2 * 1024 * 1024,
                            'request_timeout': 7.5, 'channel_timeout': '9'})]


@pytest.mark.parametrize('text', ['maybe', ''])
def test_server_runner_refuses_an_unclear_boolean(text):
    from webkit.server import server_runner
    with pytest.raises(ValueError) as info:
        server_runner(wsgify(lambda req: ''), {}, access_log=text)
    assert repr(text) in str(info.value)
