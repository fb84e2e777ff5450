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
import logging
import re
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterable
from types import FrameType
from typing import Any, NoReturn
from wsgiref.types import WSGIApplication

import waitress
from waitress.channel import HTTPChannel
from waitress.parser import HTTPRequestParser, ParsingError
from waitress.task import ErrorTask, WSGITask
from waitress.utilities import BadRequest

from . import log
from ._wsgi import probe
from .exc import ServerError
from .request import HOST, Request

__all__ = ['serve', 'make_server']

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
#: Every this many bytes received give the client one more second (:data:`REQUEST_TIMEOUT`).
MIN_REQUEST_RATE = 1024


class _Parser(HTTPRequestParser):
    """waitress's request parser, strict where framing or Host is ambiguous."""

    completed: bool  # waitress's, set here too

    def parse_header(self, header_plus: bytes) -> None:
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
        if (host is None and self.version == '1.1') or (host and not HOST(host)):
            raise ParsingError('Host header missing, repeated or invalid')

    def received(self, data: bytes) -> int:
        if self.body_rcv is None and not self.completed:
            # RFC 9112 2.2: lines end with CRLF. waitress waits for a CRLF
            # CRLF that a client ending its lines with LF never sends, and
            # answers only when the connection times out: refuse at once.
            # Only what arrived is searched (and the byte before it), so a
            # head sent a byte at a time costs no more than one sent at once.
            # Every LF there must end a CRLF: as many LFs as CRLFs (which
            # cannot overlap), two counts in C where a regex would try a
            # lookbehind at every byte.
            before = self.header_plus
            head = before + data
            end = head.find(b'\r\n\r\n')
            end = len(head) if end < 0 else end + 4
            start = len(before) - 1 if before else 0
            if head.count(b'\n', start, end) != head.count(b'\r\n', max(start - 1, 0), end):
                self.error = BadRequest('a line of the request ends with LF, not CRLF')
                self.completed = True
                return len(data)
        consumed = super().received(data)
        if self.error is not None:
            # Or waitress sends "100 Continue" for a refused request (a
            # body too large), then waits for that body before refusing it.
            self.expect_continue = False
        return consumed


class _LoggedTask(WSGITask):
    """waitress's task serving a request, then writing its access log line."""

    def service(self) -> None:
        super().service()
        _log_access(self)


class _LoggedErrorTask(ErrorTask):
    """waitress's task answering a request it refused, then logging it."""

    def service(self) -> None:
        super().service()
        _log_access(self)


def _log_access(task: Any) -> None:
    request = task.request
    # The address waitress gave the application (a trusted proxy's client's).
    environ = task.environ if isinstance(task, WSGITask) else None
    remote = environ['REMOTE_ADDR'] if environ else task.channel.addr[0]
    # A request refused while its head was read may have no line parsed.
    log.access(remote, getattr(request, 'command', None), getattr(request, 'request_uri', None),
               request.version, task.status.split(' ', 1)[0], task.content_bytes_written,
               task.start_time, time.time() - task.start_time)


class _Channel(HTTPChannel):
    """waitress's connection, noting when the request being received began."""

    parser_class = _Parser
    pending = None
    pending_since = 0.0

    def writable(self) -> bool:
        # waitress's loop polls a connection with output waiting, then sends
        # it only if it can take the output lock. A request's thread holds
        # that lock while it sends what it wrote itself: the loop would find
        # the socket writable at once, the lock taken, and poll again, over
        # and over, taking the GIL from the thread it waits for (with
        # asyncore_use_poll about twice as often as with select). Not
        # writable then: that thread pulls waitress's trigger when it leaves
        # output unsent, and after every request, which wakes the loop.
        if self.will_close or self.close_when_flushed:
            return True
        if not self.total_outbufs_len:
            return False
        if self.requests:
            if not self.outbuf_lock.acquire(False):
                return False
            self.outbuf_lock.release()
        return True

    def received(self, data: bytes) -> Any:
        result = super().received(data)
        if self.request is not self.pending:
            self.pending = self.request
            self.pending_since = time.time()
        return result


class _LoggedChannel(_Channel):
    """A connection whose requests, served or refused, are logged."""

    task_class = _LoggedTask
    error_task_class = _LoggedErrorTask


def _maintenance(server: Any, request_timeout: float, now: float) -> None:
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


def make_server(app: WSGIApplication, host: str = '127.0.0.1', port: int | str = 8080, *,
                threads: int = 4, request_timeout: float = REQUEST_TIMEOUT,
                access_log: bool = False, max_body_size: int | None = None,
                base_url: str | None = None, allowed_hosts: Iterable[str] = (),
                trusted_proxies: Iterable[str] = (), proxy_headers: str = 'x-forwarded',
                **settings: Any) -> Any:
    """Bind a waitress server for ``app`` and return it, not yet serving.

    - ``settings`` are waitress settings; they override :data:`~webkit.server.SAFE_SETTINGS`.
    - ``base_url``, ``allowed_hosts``, ``trusted_proxies``, ``proxy_headers``:
      where the application is as its clients see it; given any of them,
      ``app`` is served behind :class:`webkit.proxy.PublicOrigin`.
    - ``max_body_size``: the largest request body, in bytes, the server
      reads. By default it follows the application's request class, so
      waitress and webkit refuse the same bodies.
    - ``access_log``: log one line per request to ``webkit.access``
      (see :mod:`webkit.log`).
    - ``request_timeout``: see :data:`~webkit.server.REQUEST_TIMEOUT`.
    """
    proxied: dict[str, Any] = {}
    if base_url or allowed_hosts or trusted_proxies:
        from .proxy import PublicOrigin
        app = PublicOrigin(app, base_url, allowed_hosts, trusted_proxies,
                           proxy_headers=proxy_headers)
        # The layer reads the proxy headers of trusted peers, and removes everyone's.
        proxied = {'clear_untrusted_proxy_headers': False}
    if max_body_size is None:
        # The limit of the application a request reaches, asked with a probe
        # (webkit._wsgi.probe) through whatever middleware is in front: the
        # server need only stop what the application would refuse anyway.
        max_body_size = probe(app).max_body_size or Request.max_body_size
    # waitress refuses a body of exactly max_request_body_size bytes; webkit takes it.
    options = {**SAFE_SETTINGS, 'max_request_body_size': max_body_size + 1, **proxied, **settings}
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
    server.channel_class = _LoggedChannel if access_log else _Channel
    server.maintenance = functools.partial(_maintenance, server, request_timeout)
    return server


def _stop(signum: int, frame: FrameType | None) -> NoReturn:
    raise SystemExit(0)  # waitress's run() stops on it, as on Ctrl-C


#: Both stop the server: SIGTERM is what service managers and `kill` send
#: (Python's default ends the process on the spot), SIGINT is Ctrl-C, which
#: a process started in the background by a non-interactive shell inherits
#: as ignored.
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def serve(app: WSGIApplication, host: str = '127.0.0.1', port: int | str = 8080, *,
          threads: int = 4, access_log: bool = False, **settings: Any) -> None:
    """Serve ``app`` until the process is stopped (SIGTERM or SIGINT, Ctrl-C).

    ``access_log=True`` logs every request (see :mod:`webkit.log`); if
    logging is not configured yet, its lines go to stderr. Other
    arguments: see :func:`make_server`.
    """
    server = make_server(app, host, port, threads=threads, access_log=access_log, **settings)
    if access_log and not log.access_logger.hasHandlers():
        logging.basicConfig(level=logging.INFO, format='%(message)s')
    public = settings.get('base_url')
    print(f'Serving on http://{host}:{server.effective_port}'
          + (f' (public URL {public})' if public else ''), flush=True)
    main = threading.current_thread() is threading.main_thread()
    previous = {signum: signal.signal(signum, _stop) for signum in STOP_SIGNALS} if main else {}
    try:
        server.run()  # returns on SystemExit and KeyboardInterrupt
    finally:
        for signum, handler in previous.items():  # one set outside Python reads as None
            signal.signal(signum, handler if handler is not None else signal.SIG_DFL)
        server.close()


def server_runner(app: WSGIApplication, global_conf: dict[str, str] | None = None,
                  **settings: str) -> None:
    """Serve ``app`` from a Paste Deploy file, with webkit's server settings.

    ``[server:main]`` with ``use = egg:webkit-wsgi#main`` gives ``host``,
    ``port``, ``threads``, ``access_log`` (true/false), ``max_body_size``
    (bytes, or with a K, M or G suffix), ``request_timeout``,
    ``base_url``, ``allowed_hosts`` and ``trusted_proxies`` (words
    separated by spaces or commas), ``proxy_headers`` (``x-forwarded``
    or ``forwarded``; see :class:`webkit.proxy.PublicOrigin`) and any
    waitress setting, all as text.
    """
    options: dict[str, Any] = dict(settings)
    for name, convert in _RUNNER_SETTINGS.items():
        if name in options:
            options[name] = convert(options[name])
    serve(app, **options)


_BOOLEANS = {'true': True, 'yes': True, 'on': True, '1': True,
             'false': False, 'no': False, 'off': False, '0': False}
_UNITS = {'': 1, 'K': 1024, 'M': 1024 ** 2, 'G': 1024 ** 3}


def _boolean(text: str) -> bool:
    value = text.strip().lower()
    if value not in _BOOLEANS:
        raise ValueError(f'expected true or false, got {text!r}')
    return _BOOLEANS[value]


def parse_size(text: str | int) -> int:
    """Bytes from ``'1048576'``, ``'512K'``, ``'50M'`` or ``'1G'`` (powers of 1024).

    >>> parse_size('50M')
    52428800
    """
    match = re.fullmatch(r'\s*(\d+)\s*([KMG]?)B?\s*', str(text), re.IGNORECASE)
    if match is None:
        raise ValueError(f'expected a size in bytes such as 1048576, 512K or 50M, got {text!r}')
    return int(match[1]) * _UNITS[match[2].upper()]


_RUNNER_SETTINGS: dict[str, Callable[[str], Any]] = {
    'port': int, 'threads': int, 'request_timeout': float,
    'access_log': _boolean, 'max_body_size': parse_size}
