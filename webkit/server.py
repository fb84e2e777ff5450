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

import waitress

from .exc import WebkitError
from .request import Request

__all__ = ['serve', 'make_server', 'ServerError']

#: waitress settings that hold in production: no tracebacks to clients,
#: slow or idle clients dropped, bounded headers and connections.
SAFE_SETTINGS = {
    'expose_tracebacks': False,
    'channel_timeout': 30,
    'max_request_header_size': 64 * 1024,
    'connection_limit': 200,
    'clear_untrusted_proxy_headers': True,
    'ident': 'webkit',
}


class ServerError(WebkitError, OSError):
    """The server could not listen on ``host``:``port``; ``reason`` says why."""

    def __init__(self, host, port, reason):
        super().__init__(host, port, reason)
        self.host = host
        self.port = port
        self.reason = reason

    def __str__(self):
        return f'cannot listen on {self.host}:{self.port}: {self.reason}'


def _body_limit(app):
    """The largest body limit along ``app``'s middleware chain and route table.

    The server need only stop what no part of the application accepts;
    each request class still enforces its own limit.
    """
    limits = []
    for _ in range(10):  # middleware chains are short; a cycle must not hang us
        for holder in (app, getattr(app, 'routes', None)):
            request_class = getattr(holder, 'RequestClass', None)
            if request_class is not None:
                limits.append(getattr(request_class, 'max_body_size', Request.max_body_size))
        app = getattr(app, 'app', None)
        if app is None:
            break
    return max(limits, default=Request.max_body_size)


def make_server(app, host='127.0.0.1', port=8080, *, threads=4, **settings):
    """Bind a waitress server for ``app`` and return it, not yet serving.

    ``settings`` are waitress settings; they override :data:`SAFE_SETTINGS`.
    The server's body limit follows the application's request class, so
    waitress and webkit refuse the same bodies.
    """
    options = {**SAFE_SETTINGS, 'max_request_body_size': _body_limit(app), **settings}
    try:
        number = int(port)
    except (TypeError, ValueError):
        number = -1
    if not 0 <= number <= 65535:  # waitress would quietly bind 70000 as 4464
        raise ServerError(host, port, 'the port must be a number from 0 to 65535')
    try:
        return waitress.create_server(app, host=host, port=port, threads=threads,
                                      **options)
    except OSError as error:
        reason = ('the address is already in use' if error.errno == errno.EADDRINUSE
                  else error.strerror or str(error))
        raise ServerError(host, port, reason) from None
    except ValueError as error:  # waitress: a host it cannot resolve, a bad setting
        raise ServerError(host, port, f'{error} (host {host!r})') from None


def serve(app, host='127.0.0.1', port=8080, *, threads=4, **settings):
    """Serve ``app`` until the process is stopped (SIGTERM or Ctrl-C)."""
    server = make_server(app, host, port, threads=threads, **settings)
    print(f'Serving on http://{host}:{server.effective_port}', flush=True)
    try:
        server.run()  # returns on Ctrl-C: waitress handles KeyboardInterrupt itself
    finally:
        server.close()
