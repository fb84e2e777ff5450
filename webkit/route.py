"""One route: matching a path, and generating its URLs.

:class:`Route` wraps the ``routes.Route`` that Routes parsed from the
path template: it matches with the regular expression Routes compiled,
and generates URLs from Routes' parsed parts itself, because Routes'
own generator returns an unknown name unchanged, leaves ``/`` unescaped
inside a variable and cannot quote a non-ASCII literal. :class:`Link`
is ``req.link``: a route's URL under one request's ``SCRIPT_NAME``.
"""
from __future__ import annotations

import re
from collections.abc import Collection
from urllib.parse import quote, unquote, urlencode

from .exc import URLGenerationError

TYPE_CHECKING = False
if TYPE_CHECKING:  # for the type checker: importing typing costs a process half a MiB
    from typing import Any

__all__ = ['Route', 'Link']

_METHOD_ORDER = ('GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS')
# RFC 3986 pchar: what may stand unescaped inside one path segment.
_SEGMENT_SAFE = "-._~!$&'()*+,;=:@"
# A SCRIPT_NAME made only of these needs no quoting (the common mount point).
_PLAIN_PREFIX = re.compile(r'[A-Za-z0-9/_.~-]*').fullmatch
# A "." or ".." path segment: browsers resolve it, so the URL would not round-trip.
_DOT_SEGMENT = re.compile(r'/\.\.?(?=[/?#]|$)').search


class _AnyMethod(frozenset[str]):
    """The methods of a mounted application: all of them (it answers its own 405s)."""

    def __contains__(self, method: object) -> bool:
        return True

    def __repr__(self) -> str:
        return 'ANY_METHOD'


#: A route's ``methods`` when every method goes to its target (``Dispatcher.mount``).
ANY_METHOD = _AnyMethod(('*',))


def sort_methods(methods: Collection[str]) -> list[str]:
    """HTTP methods in the usual order (GET first), unknown ones last."""
    if methods is ANY_METHOD:
        return ['*']
    known = [m for m in _METHOD_ORDER if m in methods]
    return known + sorted(m for m in methods if m not in _METHOD_ORDER)


class Route:
    """One connected route: its name, path, methods and target."""

    def __init__(self, name: str, path: str, methods: frozenset[str], target: Any, kind: str,
                 mapped: Any, order: int) -> None:
        self.name = name
        self.path = path
        self.methods = methods
        self.target = target
        self.kind = kind            # 'method', 'view' or 'controller'
        self.mapped = mapped        # the routes.Route underneath
        self.order = order
        self.owner: type | None = None  # the application class, for method targets
        self.variables = [part['name'] for part in mapped.routelist
                          if isinstance(part, dict)]
        self._variable_set = frozenset(self.variables)
        # The generation parts, compiled on first use.
        self._parts: list[tuple[str | None, Any]] | None = None
        # A target may add to the parameters of its links (Static: ?v=<hash>).
        self._link_params = getattr(target, 'link_params', None) if kind == 'view' else None
        self.regex: Any = None  # Routes compiles it when the table is prepared

    def match(self, path: str) -> dict[str, Any] | None:
        """The URL variables if ``path`` matches (method aside), else None.

        The same result as ``routes.Route.match``, from the regular
        expression Routes compiled, without its per-call generality.
        """
        found = self.regex.fullmatch(path)  # Routes' "$" would take a trailing newline
        if found is None:
            return None
        defaults = self.mapped.defaults
        if not defaults:
            return found.groupdict()
        urlvars = dict(defaults)
        for key, value in found.groupdict().items():
            if value or not defaults.get(key):
                urlvars[key] = value
        return urlvars

    @property
    def target_name(self) -> str:
        if self.kind == 'method':
            owner = self.owner.__qualname__ if self.owner else '?'
            return f'{owner}.{self.target}'
        name = getattr(self.target, '__qualname__', None) or repr(self.target)
        action = self.mapped.defaults.get('action')
        return f'{name}.{action}' if self.kind == 'controller' and action else name

    def __repr__(self) -> str:
        methods = ','.join(m for m in sort_methods(self.methods) if m != 'HEAD')
        return f'<Route {self.name!r} {methods} {self.path} -> {self.target_name}>'

    def _compile_generation(self) -> list[tuple[str | None, Any]]:
        # Literal parts are quoted once here, not on every call.
        parts: list[tuple[str | None, Any]] = []
        for part in self.mapped.routelist:
            if isinstance(part, str):
                parts.append((None, quote(part, safe='/' + _SEGMENT_SAFE)))
            else:
                var = part['name']
                keeps_slash = part['type'] == '*' or var in self.mapped.req_regs
                parts.append((var, (part['type'], _SEGMENT_SAFE + ('/' if keeps_slash else ''))))
        self._parts = parts
        # A whole segment with no requirement and no default: letters and
        # digits there always come back as they went; any other value is
        # matched back before the URL is given out.
        routelist = self.mapped.routelist
        self._plain_vars = frozenset(
            part['name'] for index, part in enumerate(routelist)
            if isinstance(part, dict) and part['type'] == ':'
            and part['name'] not in self.mapped.req_regs
            and part['name'] not in self.mapped.defaults
            and index and isinstance(routelist[index - 1], str)
            and routelist[index - 1].endswith('/')
            and (index + 1 == len(routelist) or (isinstance(routelist[index + 1], str)
                                                 and routelist[index + 1].startswith('/'))))
        # Only a path that starts with a variable ("/{path:.*}") can come out
        # as "//host/...", which a browser reads as another site.
        first = parts[0][1] if parts and parts[0][0] is None else '/'
        self._may_start_with_slashes = len(first) < 2
        return parts

    def generate(self, params: dict[str, Any]) -> str:
        """The path of this route for ``params``; extras become a query."""
        if self._link_params is not None:
            params = self._link_params(self.name, params)
        defaults = self.mapped.defaults
        out = []
        checked = {}  # values that might not come back as they went: see below
        for var, spec in self._parts or self._compile_generation():
            if var is None:
                out.append(spec)
                continue
            kind, safe = spec
            value = params.get(var, defaults.get(var))
            if value is None or (kind == '.' and value == ''):
                if kind == '.':  # no {.format}: no extension, as in Routes
                    continue
                raise URLGenerationError(self.name, params, f'missing {var!r}')
            if type(value) is str:
                text = value
            elif isinstance(value, (bytes, bytearray)):  # str() would give "b'...'"
                raise URLGenerationError(self.name, params, f'{var} is bytes; pass a str')
            else:
                text = str(value)
            self._check_value(var, text, kind, params)
            if text.isascii() and text.isalnum():  # letters and digits need no quoting
                if var not in self._plain_vars:
                    checked[var] = text
            else:
                checked[var] = text
                try:
                    text = quote(text, safe=safe)
                except UnicodeEncodeError:  # a lone surrogate is no character
                    raise URLGenerationError(self.name, params,
                                             f'{var} is not valid text') from None
            out.append('.' + text if kind == '.' else text)
        path = ''.join(out)
        if '/.' in path and _DOT_SEGMENT(path):
            raise URLGenerationError(self.name, params, f'{path!r} has a "." or ".." '
                                     'segment, which browsers would resolve away')
        if self._may_start_with_slashes and path.startswith('//'):
            raise URLGenerationError(self.name, params, f'{path!r} would be read '
                                     'as a URL of another host')
        if checked and not self._routes_back(path, checked):
            # Routes' pattern for a variable stops at the literal after it
            # ("{a}.{b}": no "." in a), two variables side by side split
            # where they like: such values would come back changed.
            raise URLGenerationError(self.name, params, f'{path!r} would not route '
                                     f'back to {checked!r}')
        if params.keys() == self._variable_set:
            return path  # the common case: no extras, nothing fixed to compare
        query = []
        for key, value in params.items():
            if key in self.variables or value is None or (
                    isinstance(value, (list, tuple)) and not value):
                continue
            if key in defaults:
                if str(value) != str(defaults[key]):
                    raise URLGenerationError(self.name, params,
                                             f'{key} is fixed to {defaults[key]!r}')
                continue
            query.append((key, value))
        if not query:
            return path
        try:
            return f'{path}?{urlencode(query, doseq=True)}'
        except UnicodeEncodeError:  # a lone surrogate is no character
            raise URLGenerationError(self.name, params, 'a query value is not valid '
                                     'text') from None

    def _routes_back(self, path: str, values: dict[str, str]) -> bool:
        found = self.mapped.regmatch.fullmatch(unquote(path))
        if found is None:
            return False
        defaults = self.mapped.defaults
        # As Route.match reads it: an empty match means the default.
        return all((found[var] or defaults.get(var) or found[var]) == text
                   for var, text in values.items())

    def _check_value(self, var: str, text: str, kind: str, params: dict[str, Any]) -> None:
        requirement = self.mapped.req_regs.get(var)
        if requirement is not None:
            # An explicit requirement decides, e.g. {path:.*} may hold "/".
            if not requirement.match(text):
                raise URLGenerationError(
                    self.name, params,
                    f'{var}={text!r} does not match {self.mapped.reqs[var]!r}')
        elif not text:
            raise URLGenerationError(self.name, params, f'{var} is empty')
        elif '/' in text and kind != '*':
            raise URLGenerationError(self.name, params, f'{var} may not contain "/"')


class Link:
    """``req.link``: URL generation for one request."""

    __slots__ = ('dispatcher', 'environ', '_request_class', '_prefix')

    def __init__(self, dispatcher: Any, req: Any) -> None:
        self.dispatcher = dispatcher
        # The environ, not the request: the request holds its link, and a
        # link holding the request would make every request a reference
        # cycle, left for the garbage collector instead of freed at once.
        self.environ = req.environ
        self._request_class = type(req)
        self._prefix: str | None = None

    def __call__(self, name: str, /, *, qualified: bool = False, anchor: object = None,
                 **params: Any) -> str:
        """The URL of route ``name``, under this request's ``SCRIPT_NAME``."""
        if self._prefix is None:
            # A SCRIPT_NAME ending in "/" would make "//host/..." of a path
            # starting with a variable: a link to another site.
            script_name = self.environ.get('SCRIPT_NAME', '').rstrip('/')
            if _PLAIN_PREFIX(script_name):
                self._prefix = script_name
            else:
                self._prefix = quote(script_name.encode('latin-1'), safe='/' + _SEGMENT_SAFE)
        route = self.dispatcher._by_name.get(name)
        if route is None:
            self.dispatcher.url(name, **params)  # raises, naming the known routes
        url = self._prefix + route.generate(params)
        if qualified:
            url = self._request_class(self.environ).public_host_url + url
        if anchor is not None:
            url += '#' + quote(str(anchor), safe=_SEGMENT_SAFE + '/?')
        return url

    def __repr__(self) -> str:
        req = self._request_class(self.environ)
        return f'<link for {req.method} {req.path_qs!r}>'
