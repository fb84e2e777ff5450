"""The application's public origin: its base URL, allowed hosts and trusted proxies.

Behind a proxy that terminates TLS, the application is reached over
plain HTTP from the proxy's address, while browsers see
``https://shop.example``. :class:`PublicOrigin` wraps the application
and makes the request say what the client sees::

    >>> from webtest import TestApp
    >>> from webkit import wsgify
    >>> @wsgify
    ... def where(req):
    ...     return f'{req.public_host_url} {req.client_addr}'
    >>> app = TestApp(PublicOrigin(where, allowed_hosts=['shop.example'],
    ...                            trusted_proxies=['10.0.0.0/8']))
    >>> proxied = {'REMOTE_ADDR': '10.0.0.2', 'HTTP_HOST': 'shop.example'}
    >>> app.get('/', headers={'X-Forwarded-Proto': 'https', 'X-Forwarded-For': '203.0.113.9'},
    ...         extra_environ=proxied).text
    'https://shop.example 203.0.113.9'

The same headers from anyone else are ignored, and a Host outside
``allowed_hosts`` is refused before the application runs::

    >>> app.get('/', headers={'X-Forwarded-Proto': 'https', 'X-Forwarded-For': '203.0.113.9'},
    ...         extra_environ={'REMOTE_ADDR': '198.51.100.7', 'HTTP_HOST': 'shop.example'}).text
    'http://shop.example 198.51.100.7'
    >>> app.get('/', extra_environ={'HTTP_HOST': 'evil.example'}, status=400).status
    '400 Bad Request'

``webkit.serve(app, base_url=..., allowed_hosts=..., trusted_proxies=...)``,
``python -m webkit serve --base-url ... --allowed-host ... --trusted-proxy ...``
and ``[server:main]`` in a Paste Deploy file put this layer in front of
the application; an application can also wrap itself with it.
"""
import ipaddress
import re
from collections.abc import Iterable
from urllib.parse import urlsplit
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

from . import _wsgi
from .exc import ConfigurationError
from .request import HOST, PUBLIC_URL, origin

__all__ = ['PublicOrigin', 'PROXY_HEADERS']

#: The two ways a proxy can describe the request it received.
PROXY_HEADERS = ('x-forwarded', 'forwarded')

# Every proxy header WSGI servers pass on: each is removed from the
# environ whether it was honoured or not, so nothing further in (Routes'
# qualified URLs, WebOb's client_addr) reads one a client wrote.
_X_FORWARDED = ('HTTP_X_FORWARDED_FOR', 'HTTP_X_FORWARDED_PROTO', 'HTTP_X_FORWARDED_HOST',
                'HTTP_X_FORWARDED_PORT', 'HTTP_X_FORWARDED_BY')
_ALL_HEADERS = (*_X_FORWARDED, 'HTTP_FORWARDED')
# One forwarded-pair of RFC 7239 (token=token or quoted-string) and the separator after it.
_PAIR = re.compile(r'\s*([A-Za-z0-9!#$%&\'*+.^_`|~-]+)=("(?:[^"\\]|\\.)*"|[^";,\s]*)\s*([;,]|$)')
_SCHEMES = ('http', 'https')
_IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_Network = ipaddress.IPv4Network | ipaddress.IPv6Network
_BAD_HOST = _wsgi.StaticPage(
    '400 Bad Request',
    b'<!DOCTYPE html>\n<html><head><title>400 Bad Request</title></head><body>'
    b'<h1>400 Bad Request</h1><p>This server does not answer for that host name.</p>'
    b'</body></html>\n')


def _listed(value: str | Iterable[str] | None) -> tuple[str, ...]:
    """A setting that is a list: a sequence, or words in a str (whitespace or commas)."""
    if not value:
        return ()
    if isinstance(value, str):
        return tuple(word for word in re.split(r'[\s,]+', value) if word)
    return tuple(value)


def _split_host(host: str) -> tuple[str, str]:
    """``(name, port)`` of ``host[:port]``: name lower case without a final dot, port or ''."""
    if host.startswith('['):
        name, _, port = host.partition(']')
        name += ']'
        port = port[1:]
    else:
        name, _, port = host.partition(':')
    return name.lower().rstrip('.'), port


def _address(text: str | None) -> _IPAddress | None:
    """The IP address in ``text`` (``192.0.2.1``, ``"[2001:db8::1]:4711"``), or None."""
    text = (text or '').strip().strip('"')
    if text.startswith('['):
        text = text[1:].partition(']')[0]
    elif text.count(':') == 1:  # IPv4 with a port
        text = text.partition(':')[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:  # "unknown", "_hidden", garbage
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _forwarded(value: str) -> list[dict[str, str]]:
    """The elements of a ``Forwarded`` header (RFC 7239) as dicts: those after
    the last malformed one, whose senders could write anything.

    A proxy that appends its element to what the client sent must still be
    heard when the client's part is junk: dropping the whole header would
    leave the request looking as if the proxy itself had sent it.
    """
    elements: list[dict[str, str]] = []
    current: dict[str, str] = {}
    pos = 0
    while pos < len(value):
        match = _PAIR.match(value, pos)
        if match is None:
            elements, current = [], {}
            pos = value.find(',', pos) + 1  # past the malformed element
            if not pos:
                break
            continue
        name, text, separator = match.groups()
        if text.startswith('"'):
            text = re.sub(r'\\(.)', r'\1', text[1:-1])
        current.setdefault(name.lower(), text)
        pos = match.end()
        if separator != ';':
            elements.append(current)
            current = {}
    if current:
        elements.append(current)
    return elements


class PublicOrigin:
    """Middleware setting where ``app`` is, as its clients see it.

    - ``base_url`` (``'https://shop.example'``): the public URL, used for
      redirects, qualified links and the CSRF ``Origin`` check
      (``environ[webkit.request.PUBLIC_URL]``); scheme and host only;
    - ``allowed_hosts``: the host names this application answers for;
      a request whose Host (as forwarded by a trusted proxy) is another
      is answered 400 before the application runs. ``'.shop.example'``
      allows ``shop.example`` and its subdomains; a name without a port
      allows any port, ``'shop.example:8443'`` that port only. The host
      of ``base_url`` is always allowed. Empty (the default): any Host;
    - ``trusted_proxies``: addresses or networks (``'10.0.0.0/8'``) of
      the proxies in front. Only a request from one of them has its
      proxy headers honoured: ``X-Forwarded-For``, ``-Proto`` and
      ``-Host`` set ``REMOTE_ADDR``, ``wsgi.url_scheme`` and
      ``HTTP_HOST``; with ``proxy_headers='forwarded'`` the ``Forwarded``
      header (RFC 7239) does instead. Proxy headers of both kinds are
      removed from every request: a header the proxy passes on unchanged
      is the client's, so the proxy must set every header it is trusted for.

    The client's address is the last one in ``X-Forwarded-For`` (or the
    last ``Forwarded`` element's ``for``) that is not a trusted proxy;
    ``-Proto`` and ``-Host`` are taken from the nearest proxy (the last
    value). Settings may be given as lists or as words in a str.
    """

    def __init__(self, app: WSGIApplication, base_url: str | None = None,
                 allowed_hosts: str | Iterable[str] = (),
                 trusted_proxies: str | Iterable[str] = (), *,
                 proxy_headers: str = 'x-forwarded') -> None:
        self.app = app
        self.base_url = _public_url(base_url) if base_url else None
        self.allowed_hosts = tuple(_allowed_host(entry) for entry in _listed(allowed_hosts))
        if self.allowed_hosts and self.base_url:
            public = _split_host(urlsplit(self.base_url).netloc)
            if public not in self.allowed_hosts:
                self.allowed_hosts += (public,)
        self.trusted_proxies = tuple(_network(entry) for entry in _listed(trusted_proxies))
        if proxy_headers not in PROXY_HEADERS:
            raise ConfigurationError('proxy_headers', f'expected one of {PROXY_HEADERS}, '
                                     f'not {proxy_headers!r}')
        self.proxy_headers = proxy_headers

    def __repr__(self) -> str:
        settings = [f'{name}={value!r}' for name, value in (
            ('base_url', self.base_url),
            ('allowed_hosts', tuple(name + (':' + port if port else '')
                                    for name, port in self.allowed_hosts)),
            ('trusted_proxies', tuple(str(net.network_address if net.num_addresses == 1 else net)
                                      for net in self.trusted_proxies))) if value]
        return f'PublicOrigin({", ".join([repr(self.app), *settings])})'

    def __call__(self, environ: WSGIEnvironment,
                 start_response: StartResponse) -> Iterable[bytes]:
        probe = environ.get(_wsgi.PROBE)
        if probe is not None:  # a probe asks the application, not the Host
            probe.host = probe.host or self.sample_host()
        else:
            sent = {key: environ.pop(key) for key in _ALL_HEADERS if key in environ}
            if sent and self.trusts(environ.get('REMOTE_ADDR')):
                self._apply_proxy_headers(environ, sent)
            if self.base_url:
                environ[PUBLIC_URL] = self.base_url
            if self.allowed_hosts and not self.allows(
                    environ.get('HTTP_HOST') or environ.get('SERVER_NAME', '')):
                return _BAD_HOST(environ, start_response)
        return self.app(environ, start_response)

    def sample_host(self) -> str | None:
        """A ``Host`` this layer lets through (for tools such as the lint), or
        None when it lets any through."""
        if self.base_url:
            return urlsplit(self.base_url).netloc
        if not self.allowed_hosts:
            return None
        name, port = self.allowed_hosts[0]
        return name.removeprefix('.') + (':' + port if port else '')

    def trusts(self, address: str | None) -> bool:
        """Whether the peer ``address`` (an IP address as text) is a trusted proxy."""
        found = _address(address) if isinstance(address, str) else address
        return found is not None and any(found in net for net in self.trusted_proxies)

    def allows(self, host: str) -> bool:
        """Whether ``host`` (``name[:port]``, a Host header) is one of ``allowed_hosts``."""
        if not HOST(host):
            return False
        name, port = _split_host(host)
        for allowed, allowed_port in self.allowed_hosts:
            if allowed_port and allowed_port != port:
                continue
            if name == allowed or (allowed.startswith('.') and (
                    name == allowed[1:] or name.endswith(allowed))):
                return True
        return False

    def _apply_proxy_headers(self, environ: WSGIEnvironment, sent: dict[str, str]) -> None:
        if self.proxy_headers == 'forwarded':
            hops = _forwarded(sent.get('HTTP_FORWARDED', ''))
        else:
            # A hop per address; -Proto and -Host are the nearest proxy's word.
            said = {'proto': sent.get('HTTP_X_FORWARDED_PROTO', '').rpartition(',')[2],
                    'host': sent.get('HTTP_X_FORWARDED_HOST', '').rpartition(',')[2]}
            hops = [{**said, 'for': address}
                    for address in sent.get('HTTP_X_FORWARDED_FOR', '').split(',')]
        if not hops:
            return
        index = len(hops) - 1
        # Walk back through the proxies: each one's hop names whoever it heard from.
        while index > 0 and self.trusts(hops[index].get('for')):
            index -= 1
        hop = hops[index]
        client = _address(hop.get('for'))
        if client is not None:
            environ['REMOTE_ADDR'] = str(client)
        scheme = (hop.get('proto') or '').strip().lower()
        if scheme in _SCHEMES:
            environ['wsgi.url_scheme'] = scheme
        host = (hop.get('host') or '').strip()
        if host and HOST(host):
            environ['HTTP_HOST'] = host


def _public_url(url: str) -> str:
    parts = urlsplit(url)
    if (parts.scheme.lower() not in _SCHEMES or not HOST(parts.netloc)
            or parts.path not in ('', '/') or parts.query or parts.fragment):
        raise ConfigurationError('base_url', 'expected the scheme and host the clients use, '
                                 f"such as 'https://shop.example' (you gave {url!r})")
    return origin(url)


def _allowed_host(entry: object) -> tuple[str, str]:
    if not (isinstance(entry, str) and HOST(entry.removeprefix('.'))):
        raise ConfigurationError('allowed_hosts', 'expected host names such as '
                                 f"'shop.example' or '.shop.example' (you gave {entry!r})")
    return _split_host(entry)


def _network(entry: str) -> _Network:
    try:
        return ipaddress.ip_network(entry, strict=False)
    except (TypeError, ValueError):
        raise ConfigurationError('trusted_proxies', 'expected IP addresses or networks such '
                                 f"as '127.0.0.1' or '10.0.0.0/8' (you gave {entry!r})") from None
