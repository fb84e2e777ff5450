"""Log lines built from request data: escaped, and the access log.

A path, a header or a method comes from the client, and a client that can
put a line break in a log line can write lines of its own:
``/item/b%0AERROR%20webkit:%20admin%20login%20succeeded`` decodes to a
path holding a newline. :func:`printable` is the one escaping every such
line goes through::

    >>> from webkit.log import printable
    >>> print(printable('/item/b\\nERROR webkit: admin login succeeded'))
    /item/b\\nERROR webkit: admin login succeeded
    >>> print(printable('tab\\there, bell\\x07, C1\\x85, DEL\\x7f, back\\\\slash, café'))
    tab\\there, bell\\x07, C1\\x85, DEL\\x7f, back\\\\slash, café

The access log (``webkit.serve(app, access_log=True)``, ``python -m
webkit serve --access-log``) writes one line per request to the
``webkit.access`` logger at level INFO, in the Common Log Format with
the seconds the request took at the end::

    127.0.0.1 - - [30/Nov/2026:01:30:00 +0000] "GET /wiki/Home?rev=2 HTTP/1.1" 200 1534 0.002113

The path is the one the client sent (still percent-encoded), the size
counts the body bytes sent (``-`` for none).
"""
import logging
import time

__all__ = ['printable', 'access']

#: Where the access log goes, one INFO record per request.
access_logger = logging.getLogger('webkit.access')


def printable(text: str) -> str:
    """``text`` with every character that is not printable escaped, and ``\\``.

    - CR, LF, tab: ``\\r``, ``\\n``, ``\\t``;
    - the other C0 controls, DEL and the C1 controls: ``\\xNN``;
    - the other unprintable characters (line and paragraph separators,
      format characters such as bidirectional overrides): ``\\uNNNN``;
    - a backslash is doubled, so an escape in the output always stands
      for one unprintable character: no two texts give the same line.

    Printable text, letters beyond ASCII included, is returned unchanged.
    """
    if text.isprintable() and '\\' not in text:
        return text
    return ''.join(_escape(char) for char in text)


def _escape(char: str) -> str:
    if char == '\\':
        return '\\\\'
    if char.isprintable():
        return char
    return char.encode('unicode_escape').decode('ascii')


def access(remote: str | None, method: str | None, target: str | None, version: str | None,
           status: str | None, size: int | None, started: float, duration: float) -> None:
    """Log one request to ``webkit.access``; every text field is escaped.

    ``started`` is a time stamp (``time.time()``), ``duration`` seconds.
    """
    if not access_logger.isEnabledFor(logging.INFO):
        return
    when = time.strftime('%d/%b/%Y:%H:%M:%S +0000', time.gmtime(started))
    access_logger.info('%s - - [%s] "%s %s HTTP/%s" %s %s %.6f', printable(remote or '-'),
                       when, printable(method or '-'), printable(target or '-'),
                       printable(version or '-'), printable(status or '-'),
                       size or '-', duration)
