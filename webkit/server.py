"""Serving an application on waitress, a server you import.

The same call serves in development and in production::

    from webkit import serve
    serve(application, host='127.0.0.1', port=8080)

:func:`make_server` binds without serving, for tests and for callers
that want the bound port (``port=0`` picks a free one)::

    >>> from webkit import make_server, wsgify
    >>> server = make_server(wsgify(lambda req: 'hi'), port=0)
    >>> int(server.effective_port) > 0  # waitress gives a str
    True
    >>> server.close()
"""
import errno
import functools
import re
import signal
import socket
import threading
import time

import waitress
from waitress.channel import HTTPChannel
from waitress.parser import HTTPRequestParser, ParsingError

from ._wsgi import probe
from .exc import ServerError
from .request import Request

__all__ = ['serve', 'make_server', 'ServerError']

#: waitress settings that hold in production: no tracebacks to clients,
#: slow or idle clients dropped, bounded headers and connections.
SAFE_SETTINGS = {
    'expose_tracebacks': False,
    'channel_timeout': 30,
    'cleanup_interval': 5,  # how often timeouts are checked (waitress: 30)
    # poll(), not select(): no limit of 1024 on descriptor numbers, and a
    # server closed from another thread is not a "bad file descriptor".
    'asyncore_use_poll': True,
    'max_request_header_size': 64 * 1024,
    'connection_limit': 200,
    'clear_untrusted_proxy_headers': True,
    'ident': 'webkit',
}


#: Seconds a client may take to send a request (line, headers and body),
#: plus one second for every :data:`MIN_REQUEST_RATE` bytes it has sent:
#: a client trickling bytes in (slowloris) is cut off, a slow upload is not.
REQUEST_TIMEOUT = 30
MIN_REQUEST_RATE = 1024

# RFC 9110 7.2: uri-host [ ":" port ]; a reg-name or an IP literal.
_HOST = re.compile(r"(?:\[[0-9A-Za-z:.]+\]|[A-Za-z0-9._~!$&'()*+,;=%-]*)(?::[0-9]*)?\Z")


class _Parser(HTTPRequestParser):
    """waitress's request parser, strict where framing or Host is ambiguous."""

    def parse_header(self, header_plus):
        super().parse_header(header_plus)
        # Two ways to frame one body is how requests are smuggled past a
        # proxy (RFC 9112 6.1, 6.3); HTTP/1.0 has no chunked framing at all,
        # but waitress would take the body as the next request.
        if 'TRANSFER_ENCODING' in self.headers or (self.chunked
                                                   and 'CONTENT_LENGTH' in self.headers):
            raise ParsingError('Transfer-Encoding with Content-Length, or before version 1.1')
        # RFC 9112 3.2: an HTTP/1.1 request without Host, with two (waitress
        # joins them with ", ") or an invalid one must be answered 400.
        host = self.headers.get('HOST')
        if (host is None and self.version == '1.1') or not _HOST.match(host or ''):
            raise ParsingError('Host header missing, repeated or invalid')

    def received(self, data):
        consumed = super().received(data)
        if self.error is not None:
            # Or waitress sends "100 Continue" for a refused request (a
            # body too large), then waits for that body before refusing it.
            self.expect_continue = False
        return consumed


class _Channel(HTTPChannel):
    """waitress's connection, noting when the request being received began."""

    parser_class = _Parser
    pending = None
    pending_since = 0.0

    def received(self, data):
        result = super().received(data)
        if self.request is not self.pending:
            self.pending = self.request
            self.pending_since = time.time()
        return result


def _maintenance(server, request_timeout, now):
    """waitress's idle cutoff, and the two slow clients it lets through.

    - A request that trickles in keeps the connection active, which is
      all waitress looks at: cut it off after ``request_timeout``
      seconds plus one per :data:`MIN_REQUEST_RATE` bytes received.
    - A client that stops reading its response: waitress only marks the
      connection to be closed when its socket is next writable, which
      then never happens (and a worker thread streaming to it waits
      forever). Shutting the socket down makes it writable.
    """
    idle = now - server.adj.channel_timeout
    for channel in list(server.active_channels.values()):
        pending = channel.request
        if pending is not None and pending is channel.pending and not channel.requests:
            received = pending.header_bytes_received + pending.body_bytes_received
            if now - channel.pending_since > request_timeout + received / MIN_REQUEST_RATE:
                channel.will_close = True
        if channel.last_activity >= idle:
            continue
        blocked = server.adj.outbuf_high_watermark if channel.requests else 0
        if channel.total_outbufs_len > blocked:
            channel.will_close = True
            try:
                channel.socket.shutdown(socket.SHUT_RDWR)
            except OSError:  # pragma: no cover (the client reset it meanwhile: a race)
                pass
        elif not channel.requests:
            channel.will_close = True


def _body_limit(app):
    """The body limit of the application a request to ``app`` reaches.

    Asked with a probe request (:func:`webkit._wsgi.probe`), so that any
    middleware in front is passed as a request passes it; the server need
    only stop what the application would refuse anyway.
    """
    found = probe(app).max_body_size
    return Request.max_body_size if found is None else found


def make_server(app, host='127.0.0.1', port=8080, *, threads=4,
                request_timeout=REQUEST_TIMEOUT, **settings):
    """Bind a waitress server for ``app`` and return it, not yet serving.

    ``settings`` are waitress settings; they override :data:`SAFE_SETTINGS`.
    The server's body limit follows the application's request class, so
    waitress and webkit refuse the same bodies. ``request_timeout``: see
    :data:`REQUEST_TIMEOUT`.
    """
    # waitress refuses a body of exactly max_request_body_size bytes; webkit takes it.
    options = {**SAFE_SETTINGS, 'max_request_body_size': _body_limit(app) + 1, **settings}
    try:
        number = int(port)
    except (TypeError, ValueError):
        number = -1
    if not 0 <= number <= 65535:  # waitress would quietly bind 70000 as 4464
        raise ServerError(host, port, 'the port must be a number from 0 to 65535')
    try:
        server = waitress.create_server(app, host=host, port=port, threads=threads,
                                        **options)
    except OSError as error:
        reason = ('the address is already in use' if error.errno == errno.EADDRINUSE
                  else error.strerror or str(error))
        raise ServerError(host, port, reason) from None
    except ValueError as error:  # waitress: a host it cannot resolve, a bad setting
        raise ServerError(host, port, f'{error} (host {host!r})') from None
    server.channel_class = _Channel
    server.maintenance = functools.partial(_maintenance, server, request_timeout)
    return server


def _stop(signum, frame):
    raise SystemExit(0)  # waitress's run() stops on it, as on Ctrl-C


def serve(app, host='127.0.0.1', port=8080, *, threads=4, **settings):
    """Serve ``app`` until the process is stopped (SIGTERM or Ctrl-C)."""
    server = make_server(app, host, port, threads=threads, **settings)
    print(f'Serving on http://{host}:{server.effective_port}', flush=True)
    # SIGTERM (what service managers and `kill` send) stops as Ctrl-C does;
    # Python's default would end the process on the spot.
    main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _stop) if main else None
    try:
        server.run()  # returns on Ctrl-C: waitress handles KeyboardInterrupt itself
    finally:
        if main:  # a handler set outside Python reads as None
            signal.signal(signal.SIGTERM, previous or signal.SIG_DFL)
        server.close()
