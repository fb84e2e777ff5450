"""webkit: WebOb, Routes, FormEncode and Tempita, with almost no framework."""
from .controller import Controller
from .dec import wsgify
from .dispatch import Dispatcher
from .exc import (ConfigurationError, HTTPMethodNotAllowed, HTTPRouteNotFound,
                  URLGenerationError, WebkitError)
from .request import Request
from .serve import ServerError, make_server, serve

__version__ = '0.1.0'

__all__ = [
    'Controller',
    'ConfigurationError',
    'Dispatcher',
    'HTTPMethodNotAllowed',
    'HTTPRouteNotFound',
    'Request',
    'ServerError',
    'URLGenerationError',
    'WebkitError',
    'make_server',
    'serve',
    'wsgify',
]
