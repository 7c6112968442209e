"""The priority score against hand-computed examples (default weights: 1, 0.5, 0.25)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from portfolio.services.scoring import FORMULA, Weights, explain, priority_score

D = Decimal


def test_it_doubles_the_value_ratio_for_full_alignment_at_lowest_risk_and_effort():
    # (200000 / 100000) x (1 + 1 x 5/5) x (1 - 0.5 x 0/4) x (1 - 0.25 x 0/4) = 2 x 2 x 1 x 1
    assert priority_score(D("200000"), D("100000"), 5, 1, 1) == D("4.00")


def test_it_penalises_the_highest_risk_and_effort():
    # 0.5 x (1 + 0) x (1 - 0.5 x 4/4) x (1 - 0.25 x 4/4) = 0.5 x 1 x 0.5 x 0.75 = 0.1875
    assert priority_score(D("50000"), D("100000"), 0, 5, 5) == D("0.19")


def test_it_combines_middle_values():
    # 1.5 x (1 + 3/5) x (1 - 0.5 x 2/4) x (1 - 0.25 x 1/4) = 1.5 x 1.6 x 0.75 x 0.9375 = 1.6875
    assert priority_score(D("120000"), D("80000"), 3, 3, 2) == D("1.69")


def test_it_does_not_score_a_zero_cost():
    # It used to count as 1: a small idea ranked first. See tests/portfolio/test_cost_zero.py.
    assert priority_score(D("1000"), D("0"), 0, 1, 1) is None


def test_it_uses_the_given_weights():
    # 1 x (1 + 2 x 5/5) x (1 - 0) x (1 - 0) = 3
    weights = Weights(alignment=D("2"), risk=D("0"), effort=D("0"))
    assert priority_score(D("100"), D("100"), 5, 5, 5, weights) == D("3.00")


def test_it_does_not_score_an_incomplete_case():
    assert priority_score(D("100"), None, 3, 3, 3) is None


@pytest.mark.parametrize(
    "args",
    [
        (D("-1"), D("10"), 1, 1, 1),
        (D("1"), D("-10"), 1, 1, 1),
        (D("1"), D("10"), 6, 1, 1),
        (D("1"), D("10"), 1, 0, 1),
        (D("1"), D("10"), 1, 1, 6),
    ],
)
def test_it_refuses_out_of_range_inputs(args):
    with pytest.raises(ValueError):
        priority_score(*args)


def test_it_explains_each_term_and_the_formula():
    result = explain(D("120000"), D("80000"), 3, 3, 2)
    assert result.formula == FORMULA
    assert [(t.name, t.value) for t in result.terms] == [
        ("value ratio", D("1.5000")),
        ("alignment factor", D("1.6000")),
        ("risk factor", D("0.7500")),
        ("effort factor", D("0.9375")),
    ]
    assert result.score == D("1.69")
    assert "120,000.00 ÷ 80,000.00" in result.terms[0].explanation


def test_it_explains_what_is_missing():
    result = explain(D("1"), None, None, 2, 2)
    assert result.score is None
    assert result.missing == ["estimated cost", "alignment"]
