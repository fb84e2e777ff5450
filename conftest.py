"""Doctest set-up: docs and docstrings share the suite's settings."""
import formencode.api

formencode.api.set_stdtranslation(languages=['en'])
