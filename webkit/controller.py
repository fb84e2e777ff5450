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
from types import FunctionType

from ._util import AcceptedKeywords
from .exc import ConfigurationError, HTTPRouteNotFound

__all__ = ['Controller']


class _Action(AcceptedKeywords):
    """An action function with what its signature accepts, worked out once."""

    __slots__ = ('func',)

    def __init__(self, func):
        super().__init__(func, skip=1)  # self
        self.func = func


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
    special_vars = frozenset({'action', 'controller'})
    _actions = {}

    def __init_subclass__(cls, **kw):
        super().__init_subclass__(**kw)
        actions = {}
        for klass in reversed(cls.__mro__):
            if klass is Controller or not issubclass(klass, Controller):
                continue
            for name, value in vars(klass).items():
                if name.startswith('_') or name in vars(Controller):
                    continue
                if isinstance(value, FunctionType):
                    actions[name] = _Action(value)
                else:
                    actions.pop(name, None)  # an attribute hides an inherited action
        cls._actions = actions

    def __init__(self, req, app=None):
        self.req = req
        self.link = req.link
        self.app = app

    def __repr__(self):
        return f'<{type(self).__qualname__} for {self.req.method} {self.req.path_qs!r}>'

    @classmethod
    def check_action(cls, route_name, action, names):
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

    def __call__(self):
        urlvars = self.req.urlvars
        action = self._actions.get(urlvars.get('action', 'index'))
        kwargs = {k: v for k, v in urlvars.items() if k not in self.special_vars}
        if action is None or not action.fits(frozenset(kwargs)):
            raise HTTPRouteNotFound(self.req.path_info, self.req.method)
        early = self.__before__()
        if early is not None:
            return early
        return self.__after__(action.func(self, **kwargs))

    def __before__(self):
        """Run before every action; return a response to answer instead."""

    def __after__(self, result):
        """Run after every action with its result; return the answer."""
        return result
