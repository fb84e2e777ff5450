"""The wiki's bounded diff: difflib's output exactly, or a refusal in bounded time."""
import difflib
import os
import tempfile
import time

# Hypothesis keeps its caches in ./.hypothesis unless told otherwise, and a
# folder there breaks collection (norecursedirs replaces pytest's own ignores).
os.environ.setdefault('HYPOTHESIS_STORAGE_DIRECTORY',
                      os.path.join(tempfile.gettempdir(), 'webkit-hypothesis'))

import pickle  # noqa: E402

import pytest  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from examples.wiki.diff import OverBudget, unified_diff  # noqa: E402

_lines = st.lists(st.sampled_from(['a', 'b', 'c', '', 'a b', 'é']), max_size=40)


@settings(max_examples=200, deadline=None, database=None)
@given(_lines, _lines)
def test_diff_is_difflibs_unified_diff(a, b):
    assert unified_diff(a, b, 'old', 'new') == list(
        difflib.unified_diff(a, b, 'old', 'new', lineterm=''))


@pytest.mark.parametrize('what, limits', [('work', {'max_work': 100}),
                                          ('lines', {'max_lines': 10}),
                                          ('chars', {'max_chars': 100})])
def test_diff_budgets(what, limits):
    a, b = [str(i) for i in range(100)], [str(i) for i in range(50, 150)]
    assert len(unified_diff(a, b, 'old', 'new')) > 100
    with pytest.raises(OverBudget) as info:
        unified_diff(a, b, 'old', 'new', **limits)
    assert (info.value.what, info.value.limit) == (what, *limits.values())
    assert repr(pickle.loads(pickle.dumps(info.value))) == repr(info.value)


def test_diff_of_lines_repeated_under_the_junk_threshold_stops_early():
    """Each line repeated 1% of the time: difflib takes seconds; the budget, milliseconds."""
    count = 20_000
    a = [f'line {(i * 7) % 100}' for i in range(count)]
    b = [f'line {(i * 13) % 100}' for i in range(count)]
    start = time.thread_time()
    with pytest.raises(OverBudget):
        unified_diff(a, b, 'old', 'new')
    assert time.thread_time() - start < 0.5
