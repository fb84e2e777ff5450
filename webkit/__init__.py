"""webkit: WebOb, Routes, FormEncode and Tempita, with almost no framework."""
import importlib

from .controller import Controller
from .csrf import CSRFProtection, csrf_token
from .dec import wsgify
from .dispatch import Dispatcher
from .exc import (ConfigurationError, HTTPMethodNotAllowed, HTTPRouteNotFound,
                  URLGenerationError, WebkitError)
from .request import Request
from .serve import ServerError, make_server, serve
from .session import Sessions, flash, pop_flashes, session

__version__ = '0.1.0'

# FormEncode and Tempita are imported on first use only: an application
# that renders no forms and no templates never loads them.
_LAZY = {
    'render_form': 'forms', 'validate': 'forms', 'wants_json': 'forms',
    'json_errors': 'forms', 'negotiate': 'forms', 'json_body': 'forms',
    'TemplateLoader': 'templating', 'TemplateError': 'templating',
}

__all__ = [
    'CSRFProtection',
    'ConfigurationError',
    'Controller',
    'Dispatcher',
    'HTTPMethodNotAllowed',
    'HTTPRouteNotFound',
    'Request',
    'ServerError',
    'Sessions',
    'URLGenerationError',
    'WebkitError',
    'csrf_token',
    'flash',
    'make_server',
    'pop_flashes',
    'serve',
    'session',
    'wsgify',
    *_LAZY,
]


def __getattr__(name):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'webkit' has no attribute {name!r}")
    value = getattr(importlib.import_module(f'.{module}', __name__), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_LAZY))
