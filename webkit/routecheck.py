"""Route checks: routes that can never match, URLs that do not route back.

``connect()`` refuses a route that cannot work on its own; these checks
look at the table as a whole, where each route is fine but the
combination is not::

    >>> from webkit import Dispatcher
    >>> from webkit.routecheck import check_routes
    >>> routes = Dispatcher()
    >>> def page(req, title): pass
    >>> def everything(req): pass
    >>> _ = routes.connect('page', '/{title}', view=page)
    >>> _ = routes.connect('all', '/all', view=everything)
    >>> for problem in check_routes(routes):
    ...     print(problem)
    route 'all' (GET /all) is shadowed by route 'page' (/{title}), connected before it: it never matches

They run when a dispatcher is first used (each problem a warning in the
``webkit`` log), in ``python -m webkit routes --check`` and in the lint.
"""
from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from urllib.parse import unquote_to_bytes

from .exc import HTTPMethodNotAllowed, HTTPRouteNotFound, URLGenerationError
from .mount import REST, Mount
from .route import ANY_METHOD, Link, Route, sort_methods

TYPE_CHECKING = False
if TYPE_CHECKING:  # for the type checker: importing typing costs a process half a MiB
    from typing import Any

    # A segment's parts: ('L', text) or ('V', requirement or None).
    Part = tuple[str, Any]
    Segments = list[tuple[Part, ...]]

__all__ = ['RouteProblem', 'check_routes', 'warn_routes']

# Requirements that take any one segment (or more): they cover a plain {var}.
_ANY_SEGMENT = frozenset({'.*', '.+', '[^/]+', '[^/]*', '.*?', '.+?', '[^/]+?'})
# Requirements that take the rest of the path, "/" included (value: may it be empty).
_REST = {'.*': True, '.*?': True, '.+': False, '.+?': False}
# Values tried in each variable when generating a route's URLs: plain,
# numeric, and the characters that quoting or a lazy regex get wrong.
_TRIED = ('sample', '1', 'a-b', 'a.b', 'a b', 'Café', "it's+more", '100%', '~_x')
_TRIED_QUICKLY = ('1', 'a-b', 'a.b')
# A mount point, and one with characters that must be quoted.
_SCRIPT_NAMES = ('/mount', '/m\u00e9 p')


class RouteProblem:
    """One problem in a route table: ``kind`` (``'shadowed'`` or ``'round-trip'``),
    the ``route`` concerned, the ``other`` route that takes its paths (or
    None), the ``methods`` affected and ``detail``."""

    __slots__ = ('kind', 'route', 'other', 'methods', 'detail')

    def __init__(self, kind: str, route: Route, other: Route | None,
                 methods: Sequence[str], detail: str) -> None:
        self.kind = kind
        self.route = route
        self.other = other
        self.methods = tuple(methods)
        self.detail = detail

    def __repr__(self) -> str:
        other = self.other.name if self.other is not None else None
        return (f'RouteProblem({self.kind!r}, {self.route.name!r}, {other!r}, '
                f'{self.methods!r}, {self.detail!r})')

    def __str__(self) -> str:
        methods = ','.join(m for m in self.methods if m != 'HEAD')
        where = f'route {self.route.name!r} ({methods} {self.route.path})'
        if self.other is not None:
            return (f'{where} is shadowed by route {self.other.name!r} ({self.other.path}), '
                    f'connected before it: it never matches{self.detail}')
        return f'{where}: {self.detail}'


def check_routes(routes: Any, *, thorough: bool = True) -> list[RouteProblem]:
    """The problems of the dispatcher ``routes``' table, in route order.

    - a route is *shadowed* for a method when an earlier route with that
      method matches every path it matches: decided from the two paths'
      segments, only when that is certain (a literal segment against an
      unconstrained variable, equal requirements, a ``{path:.*}`` tail,
      a mount's prefix), and confirmed on a sample path;
    - a URL does not *round-trip* when, generated with sample values (with
      and without a ``SCRIPT_NAME``), the dispatcher routes it to another
      route, to none, or with other values.

    ``thorough=False`` tries fewer values in each variable (as done when a
    dispatcher is first used, where a thousand routes must stay quick).
    """
    if routes._index is None:  # compile the regexes; the problems are returned, not logged
        routes._prepare(check=False)
    problems = []
    by_head: dict[tuple[str, ...], list[tuple[Route, Segments | None]]] = {}
    for route in routes.routes:
        segments = _segments(route)
        head = _head(segments)
        earlier = sorted((entry for size in range(len(head) + 1)
                          for entry in by_head.get(head[:size], ())),
                         key=lambda entry: entry[0].order)
        by_head.setdefault(head, []).append((route, segments))
        found = _shadowing(route, segments, earlier)
        problems.extend(found)
        if not found:
            problem = _round_trip(routes, route, _TRIED if thorough else _TRIED_QUICKLY)
            if problem is not None:
                problems.append(problem)
    return problems


def warn_routes(routes: Any) -> list[RouteProblem]:
    """Log each problem of ``routes`` as a warning in the ``webkit`` log (quickly)."""
    try:
        problems = check_routes(routes, thorough=False)
    except Exception:  # pragma: no cover (none known: a diagnostic must not stop the app)
        _log().exception('%r: the route checks failed', routes)
        return []
    for problem in problems:
        _log().warning('%r: %s', routes, problem)
    return problems


def _log() -> Any:
    # Imported when there is something to say: most applications never
    # need logging (and what it imports) on their way to the first answer.
    import logging
    return logging.getLogger('webkit')


# -- shadowing -------------------------------------------------------------

def _segments(route: Route) -> Segments | None:
    """The route's path as segments of ``('L', text)`` and ``('V', requirement)`` parts."""
    reqs = route.mapped.reqs
    segments: list[list[Part]] = [[]]
    for part in route.mapped.routelist:
        if isinstance(part, str):
            pieces = part.split('/')
            for number, piece in enumerate(pieces):
                if number:
                    segments.append([])
                if piece:
                    segments[-1].append(('L', piece))
        elif part['type'] == '*':
            segments[-1].append(('V', '.*'))
        elif part['type'] == ':':
            segments[-1].append(('V', reqs.get(part['name'])))
        else:  # {.format}: leave such a route out of the comparison
            return None
    return [tuple(segment) for segment in segments[1:]]


def _head(segments: Segments | None) -> tuple[str, ...]:
    """The leading segments that are plain text: only a route whose own
    leading text is a prefix of these can take every path of this one."""
    head = []
    for segment in segments or ():
        if len(segment) != 1 or segment[0][0] != 'L':
            break
        head.append(segment[0][1])
    return tuple(head)


def _covers_segment(mine: tuple[Part, ...], theirs: tuple[Part, ...]) -> bool:
    """Whether every text ``theirs`` matches is matched by ``mine`` (one segment)."""
    if mine == theirs or (len(mine) == len(theirs) == 1 and mine[0][0] == theirs[0][0] == 'V'
                          and mine[0][1] == theirs[0][1]):
        return True
    if len(mine) != 1 or mine[0][0] != 'V':
        return False
    requirement = mine[0][1]
    if len(theirs) == 1 and theirs[0][0] == 'L':
        text = theirs[0][1]
        return requirement is None or re.fullmatch(requirement, text) is not None
    if len(theirs) == 1 and theirs[0][1] is None:  # a plain {var}: any segment
        return requirement is None or requirement in _ANY_SEGMENT
    return False


def _covers(mine: Segments | None, theirs: Segments | None) -> bool:
    """Whether route path ``mine`` (segments) matches every path ``theirs`` does."""
    if mine is None or theirs is None:
        return False
    last = mine[-1] if mine else ()
    if len(last) == 1 and last[0][0] == 'V' and last[0][1] in _REST:
        # A tail such as /static/{path:.*}: the segments before it, then anything.
        head, rest = mine[:-1], theirs[len(mine) - 1:]
        if not rest:  # "/static" has no "/" for the tail to follow
            return False
        if not _REST[last[0][1]] and len(rest) == 1 and not any(
                kind == 'L' or requirement is None for kind, requirement in rest[0]):
            return False  # ".+" needs a character: a literal, or a plain {var}
        return all(map(_covers_segment, head, theirs))
    return len(mine) == len(theirs) and all(map(_covers_segment, mine, theirs))


def _covers_route(earlier: Route, earlier_segments: Segments | None, route: Route,
                  segments: Segments | None) -> bool:
    if isinstance(earlier.target, Mount) and earlier.path.endswith(REST):
        prefix = earlier.path[:-len(REST)]
        return route.path == prefix or route.path.startswith(prefix + '/')
    return _covers(earlier_segments, segments)


def _shadowing(route: Route, segments: Segments | None,
               earlier: list[tuple[Route, Segments | None]]) -> list[RouteProblem]:
    """Problems for the methods of ``route`` that earlier routes always take."""
    wanted = ['*'] if route.methods is ANY_METHOD else sort_methods(route.methods)
    takers: dict[str, Route] = {}
    for other, other_segments in earlier:
        left = [m for m in wanted if m not in takers and (
            other.methods is ANY_METHOD or (m != '*' and m in other.methods))]
        if left and _covers_route(other, other_segments, route, segments) \
                and _confirmed(other, route):
            for method in left:
                takers[method] = other
    by_route: dict[Route, list[str]] = {}
    for method in wanted:
        if method in takers:
            by_route.setdefault(takers[method], []).append(method)
    problems = []
    for other, methods in by_route.items():
        detail = '' if len(methods) == len(wanted) else ' for ' + ', '.join(
            m for m in methods if m != 'HEAD')
        problems.append(RouteProblem('shadowed', route, other, methods, detail))
    return problems


def _confirmed(earlier: Route, route: Route) -> bool:
    """A sample path of ``route`` matches ``earlier`` too (when a sample can be made)."""
    path = _sample_path(route)
    return path is None or earlier.regex is None or earlier.match(path) is not None


def _sample_path(route: Route) -> str | None:
    """A path ``route`` matches, decoded, or None if none could be generated."""
    values: dict[str, Any] = {}
    for var in route.variables:
        requirement = route.mapped.req_regs.get(var)
        values[var] = route.mapped.defaults.get(var) or next(
            (v for v in _TRIED if requirement is None or requirement.match(v)), 'sample')
    try:
        return unquote_to_bytes(route.generate(values).partition('?')[0]).decode('utf-8')
    except (URLGenerationError, UnicodeDecodeError):
        return None


# -- round trips -------------------------------------------------------------

def _round_trip(routes: Any, route: Route, tried: tuple[str, ...]) -> RouteProblem | None:
    """The first URL of ``route`` that does not route back to it, as a problem."""
    method = 'GET' if 'GET' in route.methods else min(route.methods)
    for number, values in enumerate(_samples(route, tried)):
        # The mount points matter for quoting the prefix: tried with the first values.
        for script_name in ('', *_SCRIPT_NAMES) if number == 0 else ('',):
            try:
                url = Link(routes, _Environ(script_name))(route.name, **values)
            except URLGenerationError:
                break  # refused is fine: no URL, no wrong URL
            problem = _routes_back(routes, route, method, values, url, script_name)
            if problem is not None:
                return RouteProblem('round-trip', route, None, [method], problem)
    return None


def _samples(route: Route, tried: tuple[str, ...]) -> Iterator[dict[str, Any]]:
    """Values for the variables: each tried value in turn, the others fixed."""
    base = {var: route.mapped.defaults.get(var, 'sample') for var in route.variables}
    yield base
    for var in route.variables:
        for value in tried:
            yield {**base, var: value}


class _Environ:
    """Just enough of a request for :class:`Link` under a ``SCRIPT_NAME``."""

    def __init__(self, script_name: str) -> None:
        self.environ = {'SCRIPT_NAME': script_name.encode('utf-8').decode('latin-1')}


def _routes_back(routes: Any, route: Route, method: str, values: dict[str, Any], url: str,
                 script_name: str) -> str | None:
    """What is wrong with ``url`` as a server would pass it on, or None."""
    raw = unquote_to_bytes(url.partition('?')[0])
    prefix = script_name.encode('utf-8')
    if not raw.startswith(prefix):
        return f'{url!r} does not start with the mount point {script_name!r}'
    try:
        found, urlvars = routes.match(raw[len(prefix):].decode('utf-8'), method)
    except UnicodeDecodeError:
        return f'{url!r} is not UTF-8 once decoded'
    except (HTTPRouteNotFound, HTTPMethodNotAllowed):
        return f'the URL generated from {values!r} ({url}) matches no route'
    if found is not route:
        return (f'the URL generated from {values!r} ({url}) routes to '
                f'route {found.name!r}')
    # A {.format} left out (None or '') matches as None.
    formats = {part['name'] for part in route.mapped.routelist
               if isinstance(part, dict) and part['type'] == '.'}
    wrong = {var: urlvars.get(var) for var in route.variables
             if urlvars.get(var) != (None if var in formats and values[var] in (None, '')
                                     else str(values[var]))}
    if wrong:
        return f'the URL generated from {values!r} ({url}) matches with {wrong!r}'
    return None
