"""Review rules that operators tune: approvals needed, risk threshold, review deadlines."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ReviewPolicy:
    science_approvals: int = 1
    high_risk_science_approvals: int = 2
    high_risk_threshold: float = 0.7
    political_sla_days: int = 2  # working days
    science_sla_days: int = 5
    final_sla_days: int = 2
    remind_hours_before_due: int = 24

    def science_approvals_for(self, risk: float | None) -> int:
        """Expert approvals needed, given the pre-screener's risk of the revision under review.
        No result yet (pending or failed) counts as high risk: unknown is not safe."""
        if risk is None or risk >= self.high_risk_threshold:
            return max(self.science_approvals, self.high_risk_science_approvals)
        return self.science_approvals

    def sla_days(self, stage: str) -> int:
        return {
            "political_review": self.political_sla_days,
            "science_review": self.science_sla_days,
            "final_review": self.final_sla_days,
        }[stage]
