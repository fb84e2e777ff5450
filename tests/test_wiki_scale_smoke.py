"""The wiki scale benchmark runs end to end on a tiny wiki (nothing is timed here)."""
from benchmarks import wiki_scale

OPERATIONS = ['view', 'save', 'page list', 'recent changes', 'history', 'search',
              'view, 16 searches running', 'search, 16 at once']


def test_wiki_scale_runs_on_a_tiny_wiki(capsys):
    assert wiki_scale.main(['--pages', '30', '--requests', '3']) == 0
    out = capsys.readouterr().out
    assert out.startswith('30 pages; files written in ')
    rows = [line.split('  ')[0] for line in out.splitlines()
            if line.split('  ')[0] in OPERATIONS]
    assert rows == OPERATIONS


def test_wiki_scale_builds_what_the_store_reads(tmp_path):
    titles, words = wiki_scale.build(tmp_path, 30)
    store = wiki_scale.PageStore(tmp_path)
    assert store.all_pages() == titles and store.page_count() == 30
    assert len(store.history(titles[0])) == 100 and store.get(titles[1]).rev == 1
    assert store.search(store.get(titles[1]).text.split()[-4])


def test_wiki_scale_writes_its_table_between_the_markers(tmp_path, monkeypatch):
    doc = tmp_path / 'wiki_scale.rst'
    doc.write_text('Intro\n\n.. begin results\n\nold\n\n.. end results\n\nAfter\n')
    monkeypatch.setattr(wiki_scale, 'DOC', doc)
    wiki_scale.write_docs('head', '====\ntable\n====', 'python -m benchmarks.wiki_scale')
    text = doc.read_text()
    assert text.startswith('Intro\n\n.. begin results\n\nhead\n\n====\ntable')
    assert 'old' not in text and text.endswith('.. end results\n\nAfter\n')


def test_wiki_scale_docs_have_the_markers_and_no_doctest_between_them():
    text = wiki_scale.DOC.read_text(encoding='utf-8')
    start, end = text.index('.. begin results'), text.index('.. end results')
    assert start < end and '>>>' not in text[start:end]
