"""The README's example application, through WebTest and a real browser."""
import inspect
import shutil
import subprocess
import sys
from pathlib import Path

from webtest import TestApp

from examples.hello.app import Hello, application


def test_hello_index_links_to_a_generated_url():
    res = TestApp(application).get('/')
    assert res.click('/greet/Ada%20Lovelace').text == 'Hello, Ada Lovelace!'


def test_hello_echo_is_plain_text_so_markup_stays_inert():
    res = TestApp(Hello()).get('/greet/%3Cscript%3E')
    assert res.content_type == 'text/plain'


def test_hello_is_the_readme_example():
    readme = (Path(__file__).parent.parent / 'README.md').read_text(encoding='utf-8')
    block = readme.split('```python\n', 1)[1].split('```', 1)[0]
    assert inspect.getsource(Hello) in block
    namespace = {}
    exec(block, namespace)
    res = TestApp(namespace['application']).get('/')
    assert res.click('/greet/Ada%20Lovelace').text == 'Hello, Ada Lovelace!'


def test_hello_copied_and_renamed_names_itself(tmp_path):
    shutil.copytree(Path(__file__).parent.parent / 'examples' / 'hello', tmp_path / 'greeter')
    result = subprocess.run([sys.executable, '-m', 'greeter', '--help'], cwd=tmp_path,
                            capture_output=True, text=True, check=True)
    assert result.stdout.startswith('usage: python -m greeter ')


def test_hello_in_a_real_browser(live_server, page):
    base = live_server(Hello('Bonjour'))
    page.goto(base + '/')
    page.click('a')
    assert page.inner_text('body') == 'Bonjour, Ada Lovelace!'
    assert page.url == base + '/greet/Ada%20Lovelace'
