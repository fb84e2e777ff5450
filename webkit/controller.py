"""A Pylons-style controller: one instance per request, actions as methods.

::

    >>> from webkit import Controller, Dispatcher
    >>> class Items(Controller):
    ...     def index(self):
    ...         return 'all items'
    ...     def view(self, item):
    ...         return f'item {item}, see {self.link("items")}'
    ...     def _secret(self):
    ...         return 'never reachable'
    >>> routes = Dispatcher()
    >>> _ = routes.connect('items', '/items', Items)
    >>> _ = routes.connect('item', '/items/{action}/{item}', Items)
    >>> from webtest import TestApp
    >>> app = TestApp(routes)
    >>> app.get('/items/view/7').text
    'item 7, see /items'
    >>> app.get('/items/_secret/7', status=404).status
    '404 Not Found'

Only public functions defined on the user's own controller classes are
actions: never names starting with ``_``, never attributes, never what
:class:`Controller` or ``object`` define. URL variables are passed as
keyword arguments; a variable the action does not take is a 404.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from collections.abc import Set as AbstractSet
from types import FunctionType

from .exc import ConfigurationError, HTTPRouteNotFound
from .request import Request

TYPE_CHECKING = False
if TYPE_CHECKING:  # for the type checker: importing typing costs a process half a MiB
    from typing import Any

__all__ = ['Controller', 'AcceptedKeywords']

_VAR_POSITIONAL, _VAR_KEYWORD = 0x04, 0x08  # code object flags


def keyword_parameters(func: Callable[..., Any],
                       skip: int = 0) -> tuple[set[str], set[str], bool]:
    """What ``func`` accepts by keyword once ``skip`` positional arguments are given.

    Returns ``(accepted names, required names, takes **kwargs)``. Plain
    functions are read from their code object, which spares every
    application the import of :mod:`inspect` (about a megabyte);
    other callables go through :func:`inspect.signature`.

    >>> def view(req, item, page=1, *, format='html', **extra): pass
    >>> names, required, takes_any = keyword_parameters(view, skip=1)
    >>> sorted(names), sorted(required), takes_any
    (['format', 'item', 'page'], ['item'], True)
    """
    target = func
    while hasattr(target, '__wrapped__'):   # wsgify and other wrappers
        target = target.__wrapped__
    if hasattr(target, '__func__'):           # a bound method: self is given
        target, skip = target.__func__, skip + 1
    code = getattr(target, '__code__', None)
    if code is None:
        return _parameters_by_inspect(func, skip)
    positional = code.co_varnames[code.co_posonlyargcount:code.co_argcount]
    keyword_only = code.co_varnames[code.co_argcount:code.co_argcount
                                    + code.co_kwonlyargcount]
    skip_named = max(0, skip - code.co_posonlyargcount)
    defaults = target.__defaults__ or ()
    first_default = code.co_argcount - len(defaults)
    names = set(positional[skip_named:]) | set(keyword_only)
    required = {name for index, name in enumerate(positional, code.co_posonlyargcount)
                if index >= skip and index < first_default}
    required |= {name for name in keyword_only if name not in (target.__kwdefaults__ or {})}
    return names, required, bool(code.co_flags & _VAR_KEYWORD)


class AcceptedKeywords:
    """Whether a handler takes a set of URL variables, worked out once.

    One answer for route targets (checked at set-up) and controller
    actions (checked on every request). ``skip`` counts the positional
    arguments the caller passes first (``self``, ``req``, bound args).

    >>> def view(req, item, page=1, **extra): pass
    >>> accepted = AcceptedKeywords(view, skip=1)
    >>> accepted
    <AcceptedKeywords ['item', 'page'], **kwargs>
    >>> accepted.fits(frozenset({'item', 'format'})), accepted.fits(frozenset({'req'}))
    (True, False)
    >>> accepted.misfit(frozenset({'req'}))
    (frozenset({'req'}), frozenset({'item'}))
    """

    __slots__ = ('accepts', 'required', 'takes_any', 'taken')

    def __init__(self, func: Callable[..., Any], skip: int = 0) -> None:
        accepts, required, self.takes_any = keyword_parameters(func, skip)
        self.accepts = frozenset(accepts)
        self.required = frozenset(required)
        # Even with **kwargs, a variable named like a skipped argument
        # (``self``, ``req``) would collide with it.
        self.taken = frozenset(keyword_parameters(func)[0]) - self.accepts

    def fits(self, names: AbstractSet[str]) -> bool:
        """Whether a call with ``names`` (a set, or a dict's keys) as keywords works."""
        if self.takes_any:
            return self.required <= names and self.taken.isdisjoint(names)
        return self.required <= names <= self.accepts

    def misfit(self, names: frozenset[str]) -> tuple[frozenset[str], frozenset[str]]:
        """``(unknown, missing)``: the names it would refuse, the required ones not given."""
        unknown = names & self.taken if self.takes_any else names - self.accepts
        return unknown, self.required - names

    def __repr__(self) -> str:
        extra = ', **kwargs' if self.takes_any else ''
        return f'<AcceptedKeywords {sorted(self.accepts)}{extra}>'


def _parameters_by_inspect(func: Callable[..., Any],
                           skip: int) -> tuple[set[str], set[str], bool]:
    import inspect
    try:
        params = list(inspect.signature(func).parameters.values())
    except (TypeError, ValueError):   # no signature to read: accept anything
        return set(), set(), True
    params = params[skip:]
    named = {p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
    required = {p.name for p in params if p.name in named and p.default is p.empty}
    return named, required, any(p.kind is p.VAR_KEYWORD for p in params)


class _Action(AcceptedKeywords):
    """An action function with what its signature accepts, worked out once."""

    __slots__ = ('func',)

    def __init__(self, func: Callable[..., Any]) -> None:
        super().__init__(func, skip=1)  # self
        self.func = func


class _RequestLink:
    """``Controller.link``: the request's ``req.link``, read when used."""

    def __get__(self, controller: Controller | None, owner: type | None = None) -> Any:
        return self if controller is None else controller.req.link


_SPECIAL_VARS = frozenset({'action', 'controller'})


class Controller:
    """Base class of controllers; the dispatcher makes one per request.

    - ``self.req`` is the request, ``self.link`` its URL generator and
      ``self.app`` the configured application that routed here (the
      :class:`~webkit.Dispatcher` itself when it is used alone);
    - the action is ``req.urlvars['action']`` (default ``index``), called
      with the other URL variables as keyword arguments;
    - ``__before__()`` runs first; if it returns something other than
      ``None``, that is the answer and the action does not run;
    - ``__after__(result)`` gets what the action returned and returns
      the answer (by default, unchanged).
    """

    #: URL variables that choose the action rather than being passed to it.
    special_vars = _SPECIAL_VARS
    _actions: dict[str, _Action] = {}

    def __init_subclass__(cls, **kw: Any) -> None:
        super().__init_subclass__(**kw)
        actions = {}
        for klass in reversed(cls.__mro__):
            if klass is Controller or not issubclass(klass, Controller):
                continue
            for name, value in vars(klass).items():
                if name.startswith('_') or (name in vars(Controller) and name != 'link'):
                    continue
                if isinstance(value, FunctionType):
                    actions[name] = _Action(value)
                else:
                    actions.pop(name, None)  # an attribute hides an inherited action
        cls._actions = actions

    def __init__(self, req: Request, app: object = None) -> None:
        self.req = req
        self.app = app

    #: ``req.link``: URL generation for this request, made if an action asks.
    #: An action named ``link`` or ``self.link = ...`` replaces it, as before.
    link: Any = _RequestLink()

    def __repr__(self) -> str:
        return f'<{type(self).__qualname__} for {self.req.method} {self.req.path_qs!r}>'

    @classmethod
    def check_action(cls, route_name: str, action: str, names: Iterable[str]) -> None:
        """Refuse, at set-up, a route whose fixed action cannot be called."""
        found = cls._actions.get(action)
        if found is None:
            raise ConfigurationError(f'route {route_name!r}', f'{cls.__qualname__} has '
                                     f'no action {action!r}; actions: '
                                     f'{", ".join(sorted(cls._actions)) or "none"}')
        passed = frozenset(names) - cls.special_vars
        if not found.fits(passed):
            raise ConfigurationError(f'route {route_name!r}', f'{cls.__qualname__}.'
                                     f'{action} does not fit the route variables '
                                     f'{sorted(passed)}')

    def __call__(self) -> Any:
        return self._act(self.req.urlvars)

    def _act(self, urlvars: dict[str, Any]) -> Any:
        """Run the action ``urlvars`` choose (the dispatcher's, passed directly)."""
        special = self.special_vars
        if special is _SPECIAL_VARS:  # the usual two, taken out directly
            kwargs = dict(urlvars)
            action = self._actions.get(kwargs.pop('action', 'index'))
            kwargs.pop('controller', None)
        else:
            kwargs = dict(urlvars)
            action = self._actions.get(kwargs.get('action', 'index'))
            for name in special:
                kwargs.pop(name, None)
        names = kwargs.keys()
        # Exactly the action's parameters (the usual case) always fit.
        if action is None or (names != action.accepts and not action.fits(names)):
            raise HTTPRouteNotFound(self.req.path_info, self.req.method)
        early = self.__before__()
        if early is not None:
            return early
        return self.__after__(action.func(self, **kwargs))

    def __before__(self) -> Any:
        """Run before every action; return a response to answer instead."""

    def __after__(self, result: Any) -> Any:
        """Run after every action with its result; return the answer."""
        return result
