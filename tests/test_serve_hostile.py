"""The real server against broken and hostile clients, over raw sockets."""
import re
import socket
import threading
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from webkit import Request, make_server, wsgify


@wsgify
def echo(req):
    if req.path_info == '/big':
        return 'x' * (8 * 1024 * 1024)
    if req.path_info == '/stream':
        return StreamingResponse()
    return f'{req.method} {req.host} {len(req.body)}'


class StreamingResponse:
    """A WSGI app that writes 64 KiB chunks, 6 MiB in all."""

    def __call__(self, environ, start_response):
        start_response('200 OK', [('Content-Type', 'text/plain')])
        return (b'x' * 65536 for _ in range(96))


@pytest.fixture
def raw_server():
    """Serve an app on 127.0.0.1 (a free port); returns the server."""
    servers = []

    def start(app=echo, **settings):
        server = make_server(app, '127.0.0.1', 0, **settings)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        servers.append((server, thread))
        return server

    yield start
    for server, thread in servers:
        server.close()
        server.task_dispatcher.shutdown(timeout=2)
        thread.join(timeout=5)


def connect(server, timeout=10):
    return socket.create_connection(('127.0.0.1', int(server.effective_port)), timeout=timeout)


def exchange(server, data, timeout=10):
    """Send ``data``, half-close, and read until the server closes."""
    with connect(server, timeout) as sock:
        sock.sendall(data)
        return read_all(sock)


def read_all(sock):
    chunks = []
    try:
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    except ConnectionResetError:  # the server refused before reading it all
        pass
    return b''.join(chunks)


def wait_for(condition, timeout=10):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def post(size, extra=b''):
    return (b'POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n' + extra
            + b'Content-Length: %d\r\n\r\n' % size + b'a' * size)


def test_server_takes_a_body_of_exactly_the_limit(raw_server):
    server = raw_server()
    limit = Request.max_body_size
    assert exchange(server, post(limit)).endswith(b'POST x %d' % limit)
    assert exchange(server, post(limit + 1)).startswith(b'HTTP/1.1 413 ')


def test_server_refuses_an_oversized_expect_continue_at_once(raw_server):
    server = raw_server()
    with connect(server, timeout=5) as sock:
        sock.sendall(b'POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n'
                     b'Content-Length: 52428800\r\n\r\n')
        answer = read_all(sock)  # no body sent: waiting for it would time out
    assert answer.startswith(b'HTTP/1.1 413 ') and b'100 Continue' not in answer


def test_server_still_continues_an_acceptable_expect(raw_server):
    server = raw_server()
    with connect(server) as sock:
        sock.sendall(b'POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n'
                     b'Connection: close\r\nContent-Length: 3\r\n\r\n')
        assert sock.recv(100) == b'HTTP/1.1 100 Continue\r\n\r\n'
        sock.sendall(b'abc')
        assert read_all(sock).endswith(b'POST x 3')


@pytest.mark.parametrize('request_bytes', [
    # Transfer-Encoding and Content-Length: a proxy may frame by the other one.
    b'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n'
    b'3\r\nabc\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n',
    # HTTP/1.0 has no chunked framing: waitress would run the body as a request.
    b'POST / HTTP/1.0\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n'
    b'GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n',
])
def test_server_refuses_ambiguous_framing(raw_server, request_bytes):
    answer = exchange(raw_server(), request_bytes)
    assert answer.startswith((b'HTTP/1.1 400 ', b'HTTP/1.0 400 '))
    assert answer.count(b'HTTP/1.') == 1  # and nothing else is answered


@pytest.mark.parametrize('headers', [
    b'',  # HTTP/1.1 requires Host
    b'Host: a\r\nHost: b\r\n',
    b'Host: a b\r\n',
    b'Host: a\r\n b\r\n',  # obsolete line folding: "a b"
    b'Host: a/b\r\n',
    b'Host: a@b\r\n',
])
def test_server_refuses_a_missing_repeated_or_invalid_host(raw_server, headers):
    answer = exchange(raw_server(), b'GET / HTTP/1.1\r\n' + headers + b'Connection: close\r\n\r\n')
    assert answer.startswith(b'HTTP/1.0 400 ') or answer.startswith(b'HTTP/1.1 400 ')


@pytest.mark.parametrize('request_line, headers, host', [
    (b'GET / HTTP/1.1', b'Host: example.com:8080\r\n', b'example.com:8080'),
    (b'GET / HTTP/1.1', b'Host: [::1]:80\r\n', b'[::1]:80'),
    (b'GET / HTTP/1.1', b'Host: 127.0.0.1\r\n', b'127.0.0.1'),
    (b'GET / HTTP/1.0', b'', b'waitress.invalid:'),  # HTTP/1.0 needs no Host
])
def test_server_takes_valid_hosts(raw_server, request_line, headers, host):
    answer = exchange(raw_server(), request_line + b'\r\n' + headers + b'Connection: close\r\n\r\n')
    assert answer.startswith(b'HTTP/1.') and b' 200 OK' in answer
    assert b'GET ' + host in answer


def test_server_cuts_off_a_request_that_trickles_in(raw_server):
    server = raw_server(request_timeout=1, cleanup_interval=1)
    start = time.monotonic()
    with connect(server) as sock:
        sock.settimeout(0.2)
        for byte in b'GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ' + b'a' * 200:
            try:
                sock.sendall(bytes([byte]))  # one byte every 0.2 s: never idle
                if sock.recv(100) == b'':
                    break
            except TimeoutError:
                continue
            except OSError:  # reset
                break
        else:
            pytest.fail('the slow request was never cut off')
    assert time.monotonic() - start < 8


def test_server_lets_a_slow_but_steady_upload_finish(raw_server):
    server = raw_server(request_timeout=1, cleanup_interval=1)
    with connect(server) as sock:
        sock.sendall(b'POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n'
                     b'Content-Length: 40000\r\n\r\n')
        for _ in range(10):  # 10 KiB/s for 2 s: above MIN_REQUEST_RATE
            sock.sendall(b'a' * 4000)
            time.sleep(0.2)
        assert read_all(sock).endswith(b'POST x 40000')


def test_server_closes_an_idle_connection(raw_server):
    server = raw_server(channel_timeout=1, cleanup_interval=1)
    with connect(server) as sock:
        sock.sendall(b'GET / HTTP/1.1\r\nHost: x\r\n\r\n')  # kept alive
        assert read_all(sock).endswith(b'GET x 0')  # then closed when idle


def test_server_drops_a_client_that_never_reads_its_response(raw_server):
    server = raw_server(channel_timeout=1, cleanup_interval=1)
    with connect(server) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.sendall(b'GET /big HTTP/1.1\r\nHost: x\r\n\r\n')
        assert wait_for(lambda: len(server.active_channels) == 1)
        assert wait_for(lambda: not server.active_channels)


def test_server_frees_a_thread_streaming_to_a_client_that_never_reads(raw_server):
    server = raw_server(threads=1, channel_timeout=1, cleanup_interval=1,
                        outbuf_high_watermark=1024 * 1024)
    with connect(server) as stuck:
        stuck.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        stuck.sendall(b'GET /stream HTTP/1.1\r\nHost: x\r\n\r\n')
        # The only worker thread waits for the stuck client to read...
        assert wait_for(lambda: any(c.requests for c in server.active_channels.values()))
        # ...until the client is dropped; then the next request is served.
        answer = exchange(server, b'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
                          timeout=10)
    assert answer.endswith(b'GET x 0')


def test_server_serves_in_a_process_with_many_open_files(raw_server):
    import os
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 1200:
        if hard != resource.RLIM_INFINITY and hard < 1200:
            pytest.fail(f'the hard open-file limit is {hard}; this test needs 1200 '
                        '(raise it with ulimit -Hn)')
        resource.setrlimit(resource.RLIMIT_NOFILE, (1200, hard))
    spare = [os.open(os.devnull, os.O_RDONLY) for _ in range(1030)]
    try:
        # The server's descriptors are now above 1024, beyond select().
        server = raw_server()
        answer = exchange(server, b'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
                          timeout=5)
    finally:
        for fd in spare:
            os.close(fd)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    assert answer.endswith(b'GET x 0')


@pytest.mark.parametrize('request_bytes', [
    b'GET / HTTP/1.1\nHost: x\n\n',
    b'GET / HTTP/1.1\r\nHost: x\n\n',
    b'GET / HTTP/1.1\r\nHost: x\nX-A: b\r\n\r\n',
    b'GET / HTTP/1.1\n',  # refused before the rest arrives
])
def test_server_refuses_bare_lf_line_endings_at_once(raw_server, request_bytes):
    server = raw_server()
    start = time.monotonic()
    with connect(server, timeout=5) as sock:
        sock.sendall(request_bytes)  # and the connection stays open
        answer = read_all(sock)
    assert answer.startswith(b'HTTP/1.0 400 ') or answer.startswith(b'HTTP/1.1 400 ')
    assert time.monotonic() - start < 3


def test_server_takes_lf_in_a_body(raw_server):
    body = b'a\nb\n\n'
    answer = exchange(raw_server(), b'POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n'
                      b'Content-Length: 5\r\n\r\n' + body)
    assert answer.startswith(b'HTTP/1.1 200 ') and answer.endswith(b'POST x 5')


@pytest.mark.parametrize('pieces, status', [
    ([b'GET / HTTP/1.1\r', b'\nHost: x\r\nConnection: close\r\n\r\n'], b' 200 '),
    ([b'GET / HTTP/1.1\r\nHost: x', b'\nConnection: close\r\n\r\n'], b' 400 '),
])
def test_server_tells_crlf_from_bare_lf_across_packets(raw_server, pieces, status):
    server = raw_server()
    with connect(server, timeout=5) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for piece in pieces:
            sock.sendall(piece)
            time.sleep(0.2)  # received apart
        answer = read_all(sock)
    assert status in answer.split(b'\r\n', 1)[0]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from([b'\r', b'\n', b'\r\n', b'a', b': ', b'Host: x', b' ']),
                max_size=12), st.booleans(), st.data())
def test_bare_lf_is_found_wherever_the_head_is_cut(parts, ended, data):
    # The parser sees the head in pieces, as the network delivers it:
    # refused exactly when a line of the head ends with LF alone.
    from waitress.adjustments import Adjustments

    from webkit.server import SAFE_SETTINGS, _Parser
    head = b'GET / HTTP/1.1\r\n' + b''.join(parts) + (b'\r\n\r\n' if ended else b'')
    cuts = sorted(data.draw(st.lists(st.integers(0, len(head)), max_size=4)))
    parser = _Parser(Adjustments(**SAFE_SETTINGS))
    for start, end in zip([0, *cuts], [*cuts, len(head)]):
        piece = head[start:end]
        while piece and not parser.completed:
            piece = piece[parser.received(piece):]
    end = head.find(b'\r\n\r\n')
    looked_at = head if end < 0 else head[:end + 4]
    bare = re.search(rb'(?<!\r)\n', looked_at) is not None
    assert bare == (parser.error is not None and 'ends with LF' in parser.error.body)
