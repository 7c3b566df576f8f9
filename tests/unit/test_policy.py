"""How many experts must approve, from the pre-screener's risk."""

from __future__ import annotations

from review.policy import ReviewPolicy


def test_high_or_unknown_risk_needs_more_experts():
    policy = ReviewPolicy(
        science_approvals=1, high_risk_science_approvals=2, high_risk_threshold=0.7
    )
    assert policy.science_approvals_for(0.1) == 1
    assert policy.science_approvals_for(0.6999) == 1
    assert policy.science_approvals_for(0.7) == 2
    assert policy.science_approvals_for(None) == 2  # pre-screen pending or failed


def test_high_risk_never_lowers_the_configured_count():
    assert (
        ReviewPolicy(science_approvals=3, high_risk_science_approvals=2).science_approvals_for(0.9)
        == 3
    )
