"""`--order diverse` (stance.labeling.suggest.spread_order): reproducible, spread over articles,
frames in turn, uncertain and far-apart passages first; and the model's side of it."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stance.articles import iter_articles
from stance.errors import CodebookError
from stance.labeling.session import items_from_articles
from stance.labeling.suggest import order_items, spread_order


def replay(order, margins, articles, labelled_articles=()):
    """Check each pick against the rules, replaying the state: (1) its article has been picked
    least often among articles with candidates left; (2) it leans to the first frame, from the one
    due, that some candidate of such an article leans to. Returns the problems found."""
    margins = np.asarray(margins)
    lean = margins.argmax(axis=1)
    k = margins.shape[1]
    count = {a: 0 for a in articles}
    for a in labelled_articles:
        count[a] = count.get(a, 0) + 1
    left, turn, problems = set(range(len(articles))), 0, []
    for step, i in enumerate(order):
        least = min(count[articles[j]] for j in left)
        eligible = [j for j in left if count[articles[j]] == least]
        if count[articles[i]] != least:
            problems.append(f"step {step}: article {articles[i]} picked again before another article")
        due = next((f for f in [(turn + d) % k for d in range(k)] if any(lean[j] == f for j in eligible)), None)
        if due is not None:
            if lean[i] != due:
                problems.append(f"step {step}: leans to frame {lean[i]}, frame {due} was due")
            turn = (due + 1) % k
        count[articles[i]] += 1
        left.discard(i)
    return problems


cases = st.integers(1, 40).flatmap(lambda n: st.tuples(
    st.lists(st.lists(st.floats(-0.9, 0.9), min_size=3, max_size=3), min_size=n, max_size=n),
    st.lists(st.lists(st.floats(-1, 1), min_size=4, max_size=4), min_size=n, max_size=n),
    st.lists(st.sampled_from("abcdef"), min_size=n, max_size=n),
    st.integers(0, 2**31), st.lists(st.sampled_from("abcxyz"), max_size=4), st.integers(0, 40)))


@settings(max_examples=100, deadline=None)
@given(cases)
def test_every_pick_keeps_articles_spread_and_frames_in_turn(case):
    margins, rows, articles, seed, labelled, head = case
    order = spread_order(margins, rows, articles, seed, labelled_articles=labelled, head=head)
    assert sorted(order) == list(range(len(articles)))  # a permutation: nothing lost, nothing twice
    assert replay(order, margins, articles, labelled) == []
    assert order == spread_order(margins, rows, articles, seed, labelled_articles=labelled, head=head)


def test_articles_take_turns_and_frames_alternate():
    # Article "a" has six passages, "b" and "c" one each: a's second comes only after b and c.
    articles = list("aaaaaabc")
    margins = np.full((8, 3), -0.5)
    for i, f in enumerate([0, 0, 0, 1, 1, 2, 0, 2]):
        margins[i, f] = -0.1  # the frame each passage leans to
    order = spread_order(margins, np.eye(8), articles, seed=0)
    assert sorted(articles[i] for i in order[:3]) == list("abc")
    # One article per passage: the leaning frames cycle 0, 1, 2, 0, 1, 2 while each has passages left.
    order = spread_order(margins, np.eye(8), [str(i) for i in range(8)], seed=0)
    assert [int(np.argmax(margins[i])) for i in order[:6]] == [0, 1, 2, 0, 1, 2]


def test_the_most_uncertain_first_then_the_farthest_not_its_near_copy():
    margins = np.array([[0.01], [0.02], [0.03], [0.6]])  # distance to the threshold: 0 is unsure
    rows = np.array([[1.0, 0.0, 0.0], [0.99, 0.05, 0.0], [0.0, 0.0, 1.0], [0.0, 1.0, 0.0]])
    order = spread_order(margins, rows, list("wxyz"), seed=1)
    assert order[0] == 0  # the most uncertain
    assert order[1] == 2  # nearly as unsure and far away, before 1, a near copy of 0
    assert order[-1] == 1  # a near copy of a labelled passage teaches least: after even a sure one
    # A passage like one already labelled waits: the labelled row counts as picked.
    order = spread_order(margins[:3], rows[:3], list("wxy"), seed=1, labelled_rows=rows[[0]])
    assert order[0] == 2


def test_the_seed_breaks_ties_only():
    rows, margins, articles = np.eye(12), np.full((12, 1), 0.1), [str(i) for i in range(12)]
    orders = {tuple(spread_order(margins, rows, articles, seed)) for seed in range(6)}
    assert len(orders) > 1  # all tied: the seed decides
    assert spread_order(margins, rows, articles, 3) == spread_order(margins, rows, articles, 3)
    assert spread_order([], np.zeros((0, 3)), [], 0) == []


class TableSuggester:
    """A suggester with fixed margins and feature rows per text (the ordering's whole input)."""

    def __init__(self, table):
        self.table = table

    def prefetch(self, texts):
        pass

    def margins(self, text):
        return dict(zip(("p", "q"), self.table[text][0]))

    def embed(self, texts):
        return np.array([self.table[t][1] for t in texts])


def test_order_items_diverse_spreads_items_by_their_article_id(articles):
    items = items_from_articles(iter_articles([articles]))
    by_article = {}
    for it in items:
        by_article.setdefault(it.article_id, []).append(it)
    assert len(by_article) == 2
    table = {it.text: ([0.01 * k, -0.3], [float(k), 1.0]) for k, it in enumerate(items)}
    ordered = order_items(items, "diverse", lambda it: it.text, TableSuggester(table), seed=0)
    assert sorted(it.text for it in ordered) == sorted(it.text for it in items)
    assert ordered[0].article_id != ordered[1].article_id
    assert order_items(items, "diverse", lambda it: it.text, TableSuggester(table), seed=0) == ordered
    with pytest.raises(CodebookError, match="--model"):
        order_items(items, "diverse", lambda it: it.text, None)


def test_the_default_model_orders_diverse_in_a_labelling_session(tmp_path, articles):
    import stance
    from stance.model.suggest import ModelSuggester

    model = ModelSuggester(stance.load_model())
    items = items_from_articles(iter_articles([articles]))
    texts = [it.text for it in items]
    rows = model.embed(texts)
    assert rows.shape[0] == len(texts) and rows.shape[1] > 100 and np.isfinite(rows).all()
    for t in texts:
        m = model.margins(t)
        assert list(m) == model.bundle.frames
        assert model.uncertainty(t) == pytest.approx(min(abs(v) for v in m.values()))
        assert set(model.suggest(t)) == {f for f, v in m.items() if v >= 0}
    ordered = order_items(items, "diverse", lambda it: it.text, model, seed=0)
    assert sorted(it.text for it in ordered) == sorted(texts)
    r = subprocess.run([sys.executable, "-m", "stance", "label", str(articles), "-a", "m", "--labels-dir",
                        str(tmp_path), "--plain", "--model", str(stance.paths.default_model()), "--order", "diverse", "--seed", "0"],
                       input="0\nq\n", capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    first = json.loads((tmp_path / "m.jsonl").read_text().splitlines()[0])
    assert first["text"] == ordered[0].text and first["frames"] == []
