"""What :meth:`Dispatcher.connect <webkit.Dispatcher.connect>` checks.

A route that cannot work is refused when it is connected (or when its
class is defined), never on a request: each check raises
:class:`~webkit.exc.ConfigurationError` naming the route (``where``),
what it was given and what it expected.
"""
from __future__ import annotations

from collections.abc import Callable

from .controller import AcceptedKeywords, Controller
from .exc import ConfigurationError
from .route import ANY_METHOD, Route

TYPE_CHECKING = False
if TYPE_CHECKING:  # for the type checker: importing typing costs a process half a MiB
    from typing import Any

__all__ = ['check_arguments', 'check_path', 'one_target', 'kind_of', 'http_methods',
           'check_variables', 'check_target']

def check_arguments(where: str, defaults: dict[str, Any], requirements: object) -> None:
    """Refuse the Routes arguments webkit does not use, or that break it."""
    if 'method' in defaults:
        raise ConfigurationError(
            where, "'method' is reserved by Routes; pass the "
            "method name as the target: connect(name, path, 'view')")
    if 'conditions' in defaults:
        raise ConfigurationError(where, "Routes' conditions are not used here; "
                                 "use methods=('POST',)")
    reserved = sorted(key for key in defaults if key.startswith('_'))
    if reserved:
        raise ConfigurationError(where, f'{reserved} are reserved by Routes')
    if requirements is not None and not isinstance(requirements, dict):
        raise ConfigurationError(where, 'requirements must be a dict '
                                 f'(you gave {requirements!r})')


def _variables(where: str, path: str) -> list[str]:
    """Split ``path`` at its ``{...}`` variables, braces inside a regex counted.

    Returns the literal parts and the variables' insides, alternating.
    """
    parts: list[str] = []
    depth, current = 0, ''
    for char in path:
        if char == '{':
            if depth == 0:
                parts.append(current)
                current = ''
            else:
                current += char
            depth += 1
        elif char == '}' and depth:
            depth -= 1
            if depth == 0:
                parts.append(current)
                current = ''
            else:
                current += char
        elif char == '}':
            raise ConfigurationError(where, f'unbalanced braces in {path!r}')
        else:
            current += char
    if depth:
        raise ConfigurationError(where, f'unbalanced braces in {path!r}')
    return parts + [current]


def check_path(where: str, path: object, requirements: dict[str, str]) -> str:
    """Refuse a path template Routes would misread; returns it as Routes should see it.

    An inline requirement (``{id:\\d+(?:-\\d+)?}``) is passed to Routes as
    a requirement: Routes would cut it at its first ``:`` or ``}``.
    """
    if not isinstance(path, str) or not path.startswith('/'):
        raise ConfigurationError(where, f'the path must start with "/" (you gave {path!r})')
    parts = _variables(where, path)
    literals = ''.join(parts[::2])
    if any(segment in ('.', '..') for part in parts[::2] for segment in part.split('/')[1:-1]
           ) or path.endswith(('/.', '/..')):
        raise ConfigurationError(where, f'{path!r} has a "." or ".." segment, which '
                                 'browsers resolve away before sending the request')
    if '?' in literals or '#' in literals:  # a "?" in a variable's regex is fine
        raise ConfigurationError(where, f'a route path has no query or fragment '
                                 f'(you gave {path!r}); extra link() arguments '
                                 'become the query')
    for index in range(1, len(parts), 2):
        variable, colon, regex = parts[index].partition(':')
        if not variable.removeprefix('.').isidentifier():
            raise ConfigurationError(where, f'{{{parts[index]}}} is not a valid variable '
                                     f'in {path!r}')
        if variable == 'controller':
            # Routes matches {controller} only against controller names it
            # was told of at start-up; here the target says what runs.
            raise ConfigurationError(where, f'{{controller}} in {path!r} is reserved by '
                                     'Routes; name the Controller class as the target '
                                     'and use another variable name')
        if colon:
            if variable in requirements:
                raise ConfigurationError(where, f'{variable} has a requirement both in '
                                         'the path and in requirements=')
            requirements[variable.removeprefix('.')] = regex
        parts[index] = '{' + variable + '}'
    for variable, regex in requirements.items():
        if regex == '':  # Routes matches as if none were given, and links to nothing
            raise ConfigurationError(where, f'{variable} has an empty requirement in '
                                     f'{path!r}; leave it out')
    return ''.join(parts)


def one_target(where: str, *candidates: Any) -> Any:
    """The one target given (as ``target``, ``controller=`` or ``view=``)."""
    given = [c for c in candidates if c is not None]
    if len(given) != 1:
        raise ConfigurationError(where, 'give exactly one target '
                                 '(a method name, a view function or controller=)')
    return given[0]


def kind_of(where: str, target: object) -> str:
    """``'method'``, ``'controller'`` or ``'view'``: how the target is called."""
    if isinstance(target, str):
        if not target.isidentifier() or target.startswith('_'):
            raise ConfigurationError(where, f'{target!r} is not a public method name')
        return 'method'
    if isinstance(target, type) and issubclass(target, Controller):
        return 'controller'
    if callable(target):
        return 'view'
    raise ConfigurationError(where, f'the target must be a method '
                             f'name, a function or a Controller, not {target!r}')


def http_methods(where: str, methods: Any) -> frozenset[str]:
    """``methods`` as an upper-case frozenset, with HEAD wherever GET is.

    ``'*'`` is :data:`~webkit.route.ANY_METHOD`: every method reaches the
    target, which answers its own 405s (a mounted application).
    """
    if methods == '*':
        return ANY_METHOD
    if isinstance(methods, str):
        methods = (methods,)
    if not isinstance(methods, (list, tuple, set, frozenset)) or not methods or not all(
            isinstance(m, str) and m.isalpha() for m in methods):
        raise ConfigurationError(where, f'invalid HTTP methods {methods!r}; '
                                 "give names such as ('GET', 'POST')")
    methods = {m.upper() for m in methods}
    if 'GET' in methods:
        methods.add('HEAD')
    return frozenset(methods)


def check_variables(route: Route, requirements: dict[str, str]) -> None:
    """Refuse a repeated variable, or requirements for variables not in the path."""
    if len(set(route.variables)) != len(route.variables):
        raise ConfigurationError(f'route {route.name!r}',
                                 f'a variable repeats in {route.path!r}')
    unknown = set(requirements) - set(route.variables)
    if unknown:
        raise ConfigurationError(f'route {route.name!r}', f'requirements for '
                                 f'variables not in the path: {sorted(unknown)}')


def check_target(route: Route) -> None:
    """Refuse a target that cannot take what the route passes it.

    A method target is looked up on ``route.owner``, so it is checked
    once the application class exists.
    """
    if route.kind == 'method':
        if route.owner is None:
            raise ConfigurationError(
                f'route {route.name!r}', f'the target {route.target!r} names a '
                'method, but this Dispatcher is not a class attribute')
        func = _class_attribute(route.owner, route.target)
        if isinstance(func, (staticmethod, classmethod)):
            raise ConfigurationError(f'route {route.name!r}', f'{route.target_name} is '
                                     f'a {type(func).__name__}; a target is a plain '
                                     'method of (self, req, ...)')
        if func is None or not callable(func):
            raise ConfigurationError(f'route {route.name!r}',
                                     f'{route.owner.__qualname__} has no method '
                                     f'{route.target!r}')
        _check_signature(route, func, skip=2)
    elif route.kind == 'view':
        _check_signature(route, route.target, skip=1)
    else:
        action = route.mapped.defaults.get('action')
        if action is not None or 'action' not in route.variables:
            route.target.check_action(route.name, action or 'index',
                                      set(route.variables) | set(route.mapped.defaults))


def _check_signature(route: Route, func: Callable[..., Any], skip: int) -> None:
    """Make sure ``func`` accepts exactly what the route will pass."""
    bound_args = ()
    if hasattr(func, 'wsgi_app') and hasattr(func, 'args'):
        bound_args = func.args  # a wsgify: its bound args follow ``req``
    passed = frozenset(route.variables) | set(route.mapped.defaults)
    unknown, missing = AcceptedKeywords(func, skip + len(bound_args)).misfit(passed)
    if unknown or missing:
        raise ConfigurationError(
            f'route {route.name!r}',
            f'{route.target_name} does not fit the route variables {sorted(passed)}'
            + (f'; it does not accept {sorted(unknown)}' if unknown else '')
            + (f'; it needs {sorted(missing)}' if missing else ''))


def _class_attribute(owner: type, name: str) -> Any:
    """``name`` as defined on ``owner`` or a base class, without binding it."""
    for klass in owner.__mro__:
        if name in vars(klass):
            return vars(klass)[name]
    return None
