"""The documentation builds with Sphinx, warnings treated as errors."""
from sphinx.cmd import build as sphinx_build


def test_docs_build_with_sphinx_without_warnings(tmp_path):
    status = sphinx_build.build_main(
        ['-W', '-q', '-b', 'html', '-d', str(tmp_path / 'doctrees'), 'docs',
         str(tmp_path / 'html')])
    assert status == 0
    assert (tmp_path / 'html' / 'tutorial.html').exists()
