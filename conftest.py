"""Doctest set-up: docs and docstrings share the suite's settings."""
import builtins

import formencode.api
import pytest

formencode.api.set_stdtranslation(languages=['en'])


@pytest.fixture(autouse=True)
def _no_leftover_underscore():
    """Forget the ``_`` an earlier doctest's displayed value left in builtins.

    FormEncode takes a callable ``builtins._`` for gettext, so a doctest
    that displayed a callable would translate the next test's messages.
    """
    builtins.__dict__.pop('_', None)
