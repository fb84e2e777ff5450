"""Log lines from request data: escaped, one line per request, never forged."""
import logging
import re
import socket
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import free_port
from webkit.log import access, printable

FORGED = '/item/b\nERROR webkit: admin login succeeded'


@pytest.mark.parametrize('text, expected', [
    ('/wiki/Front Page?rev=2', '/wiki/Front Page?rev=2'),
    ('café, 日本', 'café, 日本'),
    (FORGED, '/item/b\\nERROR webkit: admin login succeeded'),
    ('a\rb\tc', 'a\\rb\\tc'),
    ('\x00\x07\x1b[31m', '\\x00\\x07\\x1b[31m'),
    ('\x7f\x85\x9f', '\\x7f\\x85\\x9f'),
    ('\u2028\u2029\u202e', '\\u2028\\u2029\\u202e'),
    ('back\\slash', 'back\\\\slash'),
    ('\\n', '\\\\n'),  # a backslash and an n, not a newline
    ('', ''),
])
def test_printable_escapes_what_is_not_printable(text, expected):
    assert printable(text) == expected


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_printable_is_one_line_and_can_be_read_back(text):
    line = printable(text)
    assert line.splitlines() in ([line], [])
    assert line.isprintable()
    assert line.encode('latin-1', 'backslashreplace').decode('unicode_escape') == text


def test_access_writes_nothing_when_its_logger_is_off(caplog):
    with caplog.at_level(logging.WARNING, logger='webkit.access'):
        access('127.0.0.1', 'GET', '/', '1.1', '200', 2, 0.0, 0.001)
    assert caplog.records == []


def test_access_line_escapes_every_field(caplog):
    with caplog.at_level(logging.INFO, logger='webkit.access'):
        access('::1', 'GET', FORGED, '1.1', '200', 0, 0.0, 0.25)
    assert caplog.messages == [
        '::1 - - [01/Jan/1970:00:00:00 +0000] '
        '"GET /item/b\\nERROR webkit: admin login succeeded HTTP/1.1" 200 - 0.250000']


LINE = re.compile(r'(\S+) - - \[[^]]+\] "(.*)" (\d{3}) (\d+|-) (\d+\.\d{6})\Z')


def _lines(output):
    return [line for line in output.splitlines() if not line.startswith('Serving on')]


def test_access_log_of_a_served_process_cannot_be_forged(server_process):
    """Raw control bytes and an encoded newline in the path: one line each."""
    port = free_port()
    process = server_process([sys.executable, '-c',
                              'import webkit, examples.hello.app as m;'
                              f'webkit.serve(m.application, port={port}, access_log=True)'],
                             port)
    requests = [
        b'GET /greet/b%0AERROR%20webkit:%20admin%20login%20succeeded HTTP/1.1\r\n',
        b'GET /greet/a\x1b[2J\x85\x7f\\ HTTP/1.1\r\n',
        b'GET / HTTP/1.1\n',  # refused by the server, logged all the same
    ]
    answers = []
    for line in requests:
        with socket.create_connection(('127.0.0.1', port), timeout=10) as sock:
            sock.sendall(line + b'Host: x\r\nConnection: close\r\n\r\n')
            answers.append(sock.makefile('rb').read().split(b'\r\n', 1)[0])
    process.terminate()
    assert process.wait(timeout=10) == 0
    output = process.stdout.read().decode('utf-8')
    # The fixture's readiness probe and one line per request, nothing else (a
    # line is written once the response is sent: they may come in any order).
    lines = _lines(output)
    parsed = [LINE.match(line) for line in lines]
    assert all(parsed), output
    # The path that is not UTF-8 is the application's 400, the bare LF the server's.
    assert sorted((m[2], m[3]) for m in parsed) == sorted([
        ('GET / HTTP/1.1', '200'),
        ('GET /greet/b%0AERROR%20webkit:%20admin%20login%20succeeded HTTP/1.1', '200'),
        ('GET /greet/a\\x1b[2J\\x85\\x7f\\\\ HTTP/1.1', '400'),
        ('- - HTTP/1.0', '400')])
    assert answers == [b'HTTP/1.1 200 OK', b'HTTP/1.1 400 Bad Request',
                       b'HTTP/1.0 400 Bad Request']
    assert not any(line.startswith('ERROR') for line in output.splitlines())


def test_cli_access_log_goes_to_the_webkit_access_logger(server_process):
    port = free_port()
    process = server_process([sys.executable, '-m', 'webkit', 'serve',
                              'examples.hello.app:application', '--port', str(port),
                              '--access-log'], port)
    with socket.create_connection(('127.0.0.1', port), timeout=10) as sock:
        sock.sendall(b'GET /greet/Ada?x=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
        sock.makefile('rb').read()
    process.terminate()
    assert process.wait(timeout=10) == 0
    lines = process.stdout.read().decode().splitlines()
    logged = [line.removeprefix('INFO webkit.access: ') for line in lines
              if line.startswith('INFO webkit.access: ')]
    assert len(logged) == 2  # the fixture's probe and ours
    ours = [line for line in logged if '"GET /greet/Ada?x=1 HTTP/1.1" 200 11 ' in line]
    assert len(ours) == 1 and LINE.match(ours[0])


def test_serve_without_access_log_logs_no_requests(server_process):
    port = free_port()
    process = server_process([sys.executable, '-m', 'webkit', 'serve',
                              'examples.hello.app:application', '--port', str(port)], port)
    process.terminate()
    assert process.wait(timeout=10) == 0
    assert 'webkit.access' not in process.stdout.read().decode()
