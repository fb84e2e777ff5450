"""Sphinx configuration; the examples are also run by pytest as doctests."""
import os
import sys

sys.path.insert(0, os.path.abspath('..'))

project = 'webkit'
author = 'the webkit developers'
extensions = ['sphinx.ext.autodoc', 'sphinx.ext.doctest']
exclude_patterns = ['_build']
html_theme = 'alabaster'
doctest_global_setup = '''
import formencode.api
formencode.api.set_stdtranslation(languages=['en'])
'''
trim_doctest_flags = True
import doctest  # noqa: E402
doctest_default_flags = (doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS
                         | doctest.IGNORE_EXCEPTION_DETAIL)
