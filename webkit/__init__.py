"""webkit: WebOb, Routes, FormEncode and Tempita, with almost no framework."""
from __future__ import annotations

import importlib

from .controller import Controller
from .dec import wsgify
from .dispatch import Dispatcher
from .exc import (ConfigurationError, HTTPMethodNotAllowed, HTTPRouteNotFound, ServerError,
                  TemplateError, URLGenerationError, WebkitError)
from .request import Request
from .response import Response

TYPE_CHECKING = False
if TYPE_CHECKING:  # for the type checker: importing typing costs a process half a MiB
    from typing import Any

__version__ = '0.1.0'

# Imported on first use only, so that an application pays (in memory and
# start-up time) for FormEncode, Tempita, waitress and cookies only if it
# uses forms, templates, the embedded server or sessions.
_LAZY = {
    'render_form': 'forms', 'validate': 'forms', 'wants_json': 'forms',
    'json_errors': 'forms', 'negotiate': 'forms', 'json_body': 'forms',
    'TemplateLoader': 'templating',
    'serve': 'server', 'make_server': 'server',
    'CSRFProtection': 'csrf', 'csrf_token': 'csrf',
    'Sessions': 'sessions', 'flash': 'sessions', 'pop_flashes': 'sessions',
    'session': 'sessions',
    'Static': 'static', 'Mount': 'mount', 'CORS': 'cors', 'MethodOverride': 'override',
    'check_routes': 'routecheck', 'PublicOrigin': 'proxy',
}

__all__ = [
    'ConfigurationError',
    'Controller',
    'Dispatcher',
    'HTTPMethodNotAllowed',
    'HTTPRouteNotFound',
    'Request',
    'Response',
    'ServerError',
    'TemplateError',
    'URLGenerationError',
    'WebkitError',
    'wsgify',
    *_LAZY,
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'webkit' has no attribute {name!r}")
    value = getattr(importlib.import_module(f'.{module}', __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
