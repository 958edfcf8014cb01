"""Agreement formulas against values computed by hand, and agreement over stored labels."""

from __future__ import annotations

import pytest
from label_helpers import answer

from stance.labeling.agreement import (ALL_FRAMES, cohen_kappa, find_disagreements, frame_agreement,
                                       krippendorff_alpha_nominal, percent_agreement)
from stance.labeling.store import current_labels

# Krippendorff (2011), "Computing Krippendorff's alpha-reliability", the reliability data with
# 4 observers, 12 units, missing values (None): nominal alpha = 0.743. Unit 12 has a single
# value and is not pairable, so 11 units count.
KRIPPENDORFF_EXAMPLE = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
    [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
]

# The same paper's binary example, two observers, no missing data.
BINARY_A = [0, 1, 0, 0, 0, 0, 0, 0, 1, 0]
BINARY_B = [1, 1, 1, 0, 0, 1, 0, 0, 0, 0]


def test_alpha_on_krippendorffs_reliability_example():
    units = [[v for v in unit if v is not None] for unit in zip(*KRIPPENDORFF_EXAMPLE)]
    alpha, n = krippendorff_alpha_nominal(units)
    assert n == 11
    assert alpha == pytest.approx(0.743, abs=5e-4)


def test_alpha_binary_two_observers_by_hand():
    # Coincidences: o00 = 10, o11 = 2, o01 = o10 = 4; n0 = 14, n1 = 6, n = 20.
    # D_o = 8; D_e = (20^2 - 14^2 - 6^2) / 19 = 168 / 19; alpha = 1 - 8 * 19 / 168 = 2 / 21.
    alpha, n = krippendorff_alpha_nominal(list(zip(BINARY_A, BINARY_B)))
    assert (n, alpha) == (10, pytest.approx(2 / 21))


def test_alpha_with_missing_data_by_hand():
    # Units (values present): [1,1,0] [0,0] [1,1] [0,1] [1] (last one not pairable).
    # Unit 1 (m=3): o11 += 1, o10 += 1, o01 += 1. Then o00 += 2, o11 += 2, o01 += 1, o10 += 1.
    # o00 = 2, o11 = 3, o01 = o10 = 2; n0 = 4, n1 = 5, n = 9; D_o = 4; D_e = (81-16-25)/8 = 5.
    alpha, n = krippendorff_alpha_nominal([[1, 1, 0], [0, 0], [1, 1], [0, 1], [1]])
    assert (n, alpha) == (4, pytest.approx(0.2))
    assert percent_agreement([[1, 1, 0], [0, 0], [1, 1], [0, 1], [1]]) == (0.5, 4)


def test_alpha_undefined_without_variation():
    assert krippendorff_alpha_nominal([[0, 0], [0, 0, 0]]) == (None, 2)
    assert krippendorff_alpha_nominal([[1]]) == (None, 0)


def test_cohen_kappa_by_hand():
    # p_o = 6/10; A says 1 twice, B four times: p_e = 0.2*0.4 + 0.8*0.6 = 0.56;
    # kappa = (0.6 - 0.56) / 0.44 = 1/11.
    assert cohen_kappa(BINARY_A, BINARY_B) == pytest.approx(1 / 11)
    assert cohen_kappa([1, 0, 1, 0], [1, 0, 1, 0]) == pytest.approx(1.0)
    assert cohen_kappa([1, 0], [0, 1]) == pytest.approx(-1.0)
    assert cohen_kappa([0, 0, 0], [0, 0, 0]) is None  # no variation: undefined
    assert cohen_kappa([], []) is None


def test_frame_agreement_over_stored_labels(codebook):
    cc, os_ = "corporate_critical", "open_science"
    events = [
        answer("alice", "p1", [cc]), answer("bob", "p1", [cc]), answer("carol", "p1", [cc, os_]),
        answer("alice", "p2", []), answer("bob", "p2", [cc]),
        answer("alice", "p3", [os_]), answer("bob", "p3", [os_]),
        answer("alice", "p4", [cc]),  # one annotator only: not counted
        answer("dana", "p2", [cc], source="adjudicate"),  # rulings never count
    ]
    rows = {r.frame: r for r in frame_agreement(current_labels(events), codebook)}
    cc_row = rows[cc]
    # cc values: p1 [1,1,1], p2 [0,1], p3 [0,0] -> agree on 2 of 3 passages.
    assert (cc_row.n, cc_row.percent) == (3, pytest.approx(2 / 3))
    expected_alpha, _ = krippendorff_alpha_nominal([[1, 1, 1], [0, 1], [0, 0]])
    assert cc_row.alpha == pytest.approx(expected_alpha)
    kappas = {(k.annotator_a, k.annotator_b): (k.kappa, k.n) for k in cc_row.kappas}
    assert kappas[("alice", "bob")] == (pytest.approx(cohen_kappa([1, 0, 0], [1, 1, 0])), 3)
    assert kappas[("alice", "carol")] == (None, 1)  # both said yes on their only shared passage
    assert rows[os_].percent == pytest.approx(2 / 3)  # carol differs on p1
    assert rows[ALL_FRAMES].percent == pytest.approx(1 / 3)
    assert rows["scaling_skeptic"].alpha is None and rows["scaling_skeptic"].percent == 1.0


def test_find_disagreements_lists_each_annotators_frames():
    events = [answer("alice", "p1", ["open_science"], text="T1"), answer("bob", "p1", []),
              answer("alice", "p2", []), answer("bob", "p2", []),
              answer("alice", "p3", ["open_science", "corporate_critical"]),
              answer("bob", "p3", ["corporate_critical", "open_science"])]
    found = find_disagreements(current_labels(events))
    assert [(d.passage_id, d.votes) for d in found] == [("p1", {"alice": ["open_science"], "bob": []})]
    assert found[0].text == "T1"
