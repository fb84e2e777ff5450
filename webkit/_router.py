"""Which routes may match a path: a tree of path segments.

Trying every route's regular expression in turn costs time in
proportion to the number of routes, and an index by first segment does
not help the common shape where every route starts with ``/api/``. The
tree narrows the routes down segment by segment: a literal segment
(``view``) is an exact edge, a segment whose variables cannot hold
``/`` (``{item}``, ``r{id:\\d+}``, ``{name}{.format}``) an edge any
segment passes, and a route ends its walk at its first segment that may
hold ``/`` (``{path:.*}``, ``*rest``). The routes found on the way are
only candidates: each is still matched in connection order, so the
answer is exactly that of trying every route in turn, whatever the shape
of the table. Most are matched by the segments the walk split the path
into: a route whose regular expression says no more than "these literal
segments, and a ``{name}`` that is not empty in each of the others"
(Routes' own pattern is compared with that, character for character).
The others are matched with Routes' regular expression.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from operator import attrgetter
from re import _parser  # type: ignore[attr-defined]  # not in typeshed

from .route import Route

TYPE_CHECKING = False
if TYPE_CHECKING:  # for the type checker: importing typing costs a process half a MiB
    from typing import Any

    # A candidate as the walk finds it: the route, and how it matches. With
    # a depth of -1, by its regular expression; else a path of exactly that
    # many segments matches when each segment named in the fields (index,
    # variable) is not empty, with the route's defaults under its values.
    Entry = tuple[Route, int, tuple[tuple[int, str], ...], dict[str, Any]]

__all__ = ['Router']

_SLASH = ord('/')
_SLASHLESS = {'CATEGORY_DIGIT', 'CATEGORY_WORD', 'CATEGORY_SPACE'}
_SLASHFUL = {'CATEGORY_NOT_DIGIT', 'CATEGORY_NOT_WORD', 'CATEGORY_NOT_SPACE'}
_order = attrgetter('order')  # connection order


class _Node:
    __slots__ = ('literal', 'wild', 'routes', 'chain', 'entries')

    def __init__(self) -> None:
        self.literal: dict[str, _Node] = {}
        self.wild: _Node | None = None  # the node any segment reaches
        self.routes: list[Route] = []  # routes whose walk ends here, in connection order
        self.chain: Sequence[Route] = ()  # the routes of this node and all above it, in order
        self.entries: Sequence[Entry] = ()  # the chain's, as the walk gives them


class Router:
    """The candidate routes for a path, in connection order."""

    __slots__ = ('_root', '_entries', '_unwalked')

    def __init__(self, routes: Iterable[Route]) -> None:
        self._root = _Node()
        self._entries: dict[Route, Entry] = {}
        for route in sorted(routes, key=_order):
            node = self._root
            for segment in _segments(route.mapped):
                if segment is None:
                    node.wild = node = node.wild or _Node()
                else:
                    node = node.literal.get(segment) or node.literal.setdefault(segment, _Node())
            node.routes.append(route)
            self._entries[route] = _entry(route)
        _chain(self._root, [], self._entries)
        self._unwalked = [self._entries[route] for route in self._root.routes]

    def candidates(self, path: str) -> Sequence[Route]:
        """The routes that may match ``path``: a superset, in connection order."""
        return [entry[0] for entry in self.walk(path)[0]]

    def walk(self, path: str) -> tuple[Sequence[Entry], list[str]]:
        """The candidates for ``path`` (see ``Entry``) and its segments.

        A walk collects the routes of every node it passes, which is the
        chain of the node where it stops; only where a literal edge and
        a variable one both fit does it follow two branches.
        """
        node = self._root
        if path[:1] != '/':  # only a route that ends its walk at once can match
            return self._unwalked, []
        segments = path[1:].split('/')
        for index, segment in enumerate(segments):
            child = node.literal.get(segment)
            if child is None:
                child = node.wild
                if child is None:
                    return node.entries, segments
            elif node.wild is not None:
                ends: list[_Node] = []
                _walk(child, segments, index + 1, ends)
                _walk(node.wild, segments, index + 1, ends)
                found = sorted({route for end in ends for route in end.chain}, key=_order)
                return [self._entries[route] for route in found], segments
            node = child
        return node.entries, segments


def _chain(node: _Node, above: Sequence[Route], entries: dict[Route, Entry]) -> None:
    node.chain = sorted([*above, *node.routes], key=_order)
    node.entries = [entries[route] for route in node.chain]
    for child in node.literal.values():
        _chain(child, node.chain, entries)
    if node.wild is not None:
        _chain(node.wild, node.chain, entries)


def _entry(route: Route) -> Entry:
    """How the walk matches ``route``: by its segments when its regular
    expression says no more than they do, else by the expression."""
    mapped = route.mapped
    fields = []
    expected = []
    for index, pieces in enumerate(_split(mapped)):
        pieces = [piece for piece in pieces if piece != '']
        if all(isinstance(piece, str) for piece in pieces):
            expected.append(re.escape(''.join(pieces)))
        elif (len(pieces) == 1 and pieces[0]['type'] == ':'
              and pieces[0]['name'] not in mapped.reqs):
            name = pieces[0]['name']
            expected.append(f'(?P<{name}>[^/]+?)')  # Routes' pattern for a {name}
            fields.append((index, name))
        else:
            break
    else:
        regex = mapped.regmatch  # what Routes compiled, and route.match uses
        if regex.pattern == '^/' + '/'.join(expected) + '$' and regex.flags == re.UNICODE:
            return route, len(expected), tuple(fields), dict(mapped.defaults)
    return route, -1, (), {}


def _walk(node: _Node, segments: list[str], index: int, ends: list[_Node]) -> None:
    """Add to ``ends`` the nodes where walks from ``node`` along ``segments[index:]`` stop."""
    for position in range(index, len(segments)):
        child = node.literal.get(segments[position])
        if child is not None and node.wild is not None:
            _walk(node.wild, segments, position + 1, ends)
        elif child is None:
            child = node.wild
            if child is None:
                break
        node = child
    ends.append(node)


def _segments(mapped: Any) -> list[str | None]:
    """A route's path segments the tree can follow: text, or None for "any".

    Stops before the first segment a variable might take a ``/`` into.
    """
    walk: list[str | None] = []
    for pieces in _split(mapped):
        if all(isinstance(piece, str) for piece in pieces):
            walk.append(''.join(pieces))
        elif all(_within_segment(mapped, piece) for piece in pieces if not isinstance(piece, str)):
            walk.append(None)
        else:
            break
    return walk


def _split(mapped: Any) -> list[list[Any]]:
    """A route's path, segment by segment: each a list of text and variables."""
    parts = list(mapped.routelist)
    parts[0] = parts[0][1:]  # the "/" every path starts with (see _checks.check_path)
    segments: list[list[Any]] = []
    current: list[Any] = []
    for part in parts:
        if isinstance(part, str):
            first, *rest = part.split('/')
            current.append(first)
            for text in rest:
                segments.append(current)
                current = [text]
        else:
            current.append(part)
    segments.append(current)
    return segments


def _within_segment(mapped: Any, variable: dict[str, Any]) -> bool:
    """Whether a variable's value can never contain ``/``."""
    requirement = mapped.reqs.get(variable['name'])
    if requirement is None:
        return variable['type'] in ':.'  # Routes' [^/]+? and [^/.]+?; "*" takes anything
    try:
        return _slash_free(_parser.parse(requirement))
    except Exception:  # a pattern this reading does not follow: assume the worst
        return False


def _slash_free(pattern: Any) -> bool:
    """Whether a parsed regular expression can never consume a ``/``."""
    for op, arg in pattern:
        name = str(op)
        if name == 'LITERAL':
            if arg == _SLASH:
                return False
        elif name == 'NOT_LITERAL':
            if arg != _SLASH:
                return False
        elif name == 'IN':
            if not _set_excludes_slash(arg):
                return False
        elif name in ('MAX_REPEAT', 'MIN_REPEAT', 'POSSESSIVE_REPEAT'):
            if not _slash_free(arg[2]):
                return False
        elif name == 'SUBPATTERN':
            if not _slash_free(arg[3]):
                return False
        elif name == 'ATOMIC_GROUP':
            if not _slash_free(arg):
                return False
        elif name == 'BRANCH':
            if not all(_slash_free(branch) for branch in arg[1]):
                return False
        elif name not in ('AT', 'ASSERT', 'ASSERT_NOT'):  # these consume nothing
            return False  # ANY ("."), back references, anything unforeseen
    return True


def _set_excludes_slash(items: Any) -> bool:
    negated = bool(items) and str(items[0][0]) == 'NEGATE'
    holds_slash = False
    for op, arg in items[1:] if negated else items:
        name = str(op)
        if name == 'LITERAL':
            holds = arg == _SLASH
        elif name == 'RANGE':
            holds = arg[0] <= _SLASH <= arg[1]
        elif name == 'CATEGORY' and str(arg) in _SLASHLESS:
            holds = False
        elif name == 'CATEGORY' and str(arg) in _SLASHFUL:
            holds = True
        else:
            return False  # anything unforeseen: assume the worst
        holds_slash = holds_slash or holds
    return holds_slash if negated else not holds_slash
