"""Template loading: escaping, caching, errors with positions, the folder boundary."""
import pytest
import tempita

from webkit import TemplateError
from webkit.templating import TemplateLoader


@pytest.fixture
def folder(tmp_path):
    root = tmp_path / 'templates'
    root.mkdir()
    (root / 'page.html').write_text('<h1>{{title}}</h1>{{body}}')
    (root / 'base.html').write_text('<main>{{self.body|html}}</main>')
    (root / 'child.html').write_text('{{inherit "base.html"}}<p>{{text}}</p>')
    (tmp_path / 'secret.html').write_text('outside')
    return root


@pytest.mark.parametrize('value', ['<script>alert(1)</script>', '"><img onerror=x>'])
def test_templates_escape_every_substitution(folder, value):
    page = TemplateLoader(folder).render('page.html', title=value, body='')
    assert '<script' not in page and '<img' not in page


def test_templates_never_run_template_code_found_in_values(folder):
    page = TemplateLoader(folder).render('page.html', title='{{py:x = 1/0}}', body='')
    assert page == '<h1>{{py:x = 1/0}}</h1>'


def test_templates_pass_trusted_html_through(folder):
    page = TemplateLoader(folder).render('page.html', title='t', body=tempita.html('<b>x</b>'))
    assert page == '<h1>t</h1><b>x</b>'


def test_templates_inherit_with_our_loader(folder):
    assert TemplateLoader(folder).render('child.html', text='<hi>') == \
        '<main><p>&lt;hi&gt;</p></main>'


def test_templates_compile_once(folder):
    loader = TemplateLoader(folder)
    first = loader.get('page.html')
    (folder / 'page.html').write_text('changed')
    assert loader.get('page.html') is first


def test_templates_see_the_namespace(folder):
    (folder / 'ns.html').write_text('{{site}}')
    assert TemplateLoader(folder, namespace={'site': 'Wiki'}).render('ns.html') == 'Wiki'


def test_templates_beside_a_module(tmp_path, folder):
    loader = TemplateLoader.beside(tmp_path / 'app.py')
    assert loader.directory == folder.resolve()
    assert repr(loader) == f'TemplateLoader({str(folder.resolve())!r})'


@pytest.mark.parametrize('name', ['../secret.html', '/etc/passwd', 'sub/../../secret.html'])
def test_templates_never_leave_their_folder(folder, name):
    with pytest.raises(TemplateError) as info:
        TemplateLoader(folder).render(name)
    assert info.value.name == name
    assert 'leaves the template folder' in info.value.message


def test_templates_missing_file_is_a_template_error(folder):
    with pytest.raises(TemplateError) as info:
        TemplateLoader(folder).get('nothere.html')
    assert info.value.line is None and 'cannot read it' in info.value.message


def test_templates_syntax_error_names_line_and_column(folder):
    (folder / 'bad.html').write_text('<p>\n  {{if x}\n</p>')
    with pytest.raises(TemplateError) as info:
        TemplateLoader(folder).get('bad.html')
    assert (info.value.name, info.value.line, info.value.column) == ('bad.html', 2, 5)
    assert str(info.value).startswith('bad.html, line 2, column 5: ')


def test_templates_runtime_error_names_line_and_column(folder):
    (folder / 'oops.html').write_text('a\n b {{x.missing}}')
    with pytest.raises(TemplateError) as info:
        TemplateLoader(folder).render('oops.html', x=1)
    assert (info.value.line, info.value.column) == (2, 6)
    assert info.value.message == "'int' object has no attribute 'missing'"


def test_templates_error_without_position_keeps_the_message(folder):
    (folder / 'expr.html').write_text('{{x.upper(}}')
    with pytest.raises(TemplateError) as info:
        TemplateLoader(folder).render('expr.html', x='a')
    assert info.value.line is None and 'invalid syntax' in info.value.message
    assert str(info.value) == f'expr.html: {info.value.message}'
