"""The review state machine: one declarative table of who may do what, when."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class State(StrEnum):
    DRAFT = "draft"
    POLITICAL_REVIEW = "political_review"
    SCIENCE_REVIEW = "science_review"
    FINAL_REVIEW = "final_review"
    PUBLISHED = "published"
    CHANGES_REQUESTED = "changes_requested"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    RETRACTED = "retracted"


class Action(StrEnum):
    SUBMIT = "submit"
    APPROVE = "approve"
    REQUEST_CHANGES = "request_changes"
    REJECT = "reject"
    PUBLISH = "publish"
    WITHDRAW = "withdraw"
    RETRACT = "retract"


class Role(StrEnum):
    WRITER = "writer"
    POLITICAL_REVIEWER = "political_reviewer"
    SCIENCE_REVIEWER = "science_reviewer"
    EDITOR = "editor"
    ADMIN = "admin"


class ReasonCode(StrEnum):
    FACTUAL_ERROR = "factual_error"
    UNSUPPORTED_CLAIM = "unsupported_claim"
    MISSING_SOURCES = "missing_sources"
    WORDING = "wording"
    OUT_OF_SCOPE = "out_of_scope"
    OTHER = "other"


class Guard(StrEnum):
    """Named checks a rule needs besides the actor's role; enforced in review.services.workflow."""

    AUTHOR_ONLY = "author_only"  # only the article's author
    NOT_AUTHOR = "not_author"  # nobody reviews or publishes their own article
    OTHER_THAN_POLITICAL = "other_than_political"  # science sign-off by someone else
    ENOUGH_SCIENCE_APPROVALS = "enough_science_approvals"  # advance only at N approvals


@dataclass(frozen=True)
class Rule:
    to: State
    role: Role | None  # None: any user, subject to guards (AUTHOR_ONLY)
    guards: tuple[Guard, ...] = ()
    reason_required: bool = False


_REVIEW = (Guard.NOT_AUTHOR,)
_WITHDRAWABLE = (
    State.DRAFT,
    State.POLITICAL_REVIEW,
    State.SCIENCE_REVIEW,
    State.FINAL_REVIEW,
    State.CHANGES_REQUESTED,
)

TRANSITIONS: dict[tuple[State, Action], Rule] = {
    (State.DRAFT, Action.SUBMIT): Rule(State.POLITICAL_REVIEW, Role.WRITER, (Guard.AUTHOR_ONLY,)),
    (State.CHANGES_REQUESTED, Action.SUBMIT): Rule(
        State.POLITICAL_REVIEW, Role.WRITER, (Guard.AUTHOR_ONLY,)
    ),
    (State.POLITICAL_REVIEW, Action.APPROVE): Rule(
        State.SCIENCE_REVIEW, Role.POLITICAL_REVIEWER, _REVIEW
    ),
    (State.POLITICAL_REVIEW, Action.REQUEST_CHANGES): Rule(
        State.CHANGES_REQUESTED, Role.POLITICAL_REVIEWER, _REVIEW, reason_required=True
    ),
    (State.POLITICAL_REVIEW, Action.REJECT): Rule(
        State.REJECTED, Role.POLITICAL_REVIEWER, _REVIEW, reason_required=True
    ),
    (State.SCIENCE_REVIEW, Action.APPROVE): Rule(
        State.FINAL_REVIEW,
        Role.SCIENCE_REVIEWER,
        (Guard.NOT_AUTHOR, Guard.OTHER_THAN_POLITICAL, Guard.ENOUGH_SCIENCE_APPROVALS),
    ),
    (State.SCIENCE_REVIEW, Action.REQUEST_CHANGES): Rule(
        State.CHANGES_REQUESTED, Role.SCIENCE_REVIEWER, _REVIEW, reason_required=True
    ),
    (State.SCIENCE_REVIEW, Action.REJECT): Rule(
        State.REJECTED, Role.SCIENCE_REVIEWER, _REVIEW, reason_required=True
    ),
    (State.FINAL_REVIEW, Action.PUBLISH): Rule(State.PUBLISHED, Role.EDITOR, _REVIEW),
    (State.FINAL_REVIEW, Action.REQUEST_CHANGES): Rule(
        State.CHANGES_REQUESTED, Role.EDITOR, _REVIEW, reason_required=True
    ),
    (State.FINAL_REVIEW, Action.REJECT): Rule(
        State.REJECTED, Role.EDITOR, _REVIEW, reason_required=True
    ),
    **{
        (state, Action.WITHDRAW): Rule(State.WITHDRAWN, None, (Guard.AUTHOR_ONLY,))
        for state in _WITHDRAWABLE
    },
    (State.PUBLISHED, Action.RETRACT): Rule(State.RETRACTED, Role.EDITOR, reason_required=True),
}

# States in which the author may edit the text (each edit makes a new revision).
EDITABLE_STATES = frozenset({State.DRAFT, State.CHANGES_REQUESTED})

# Which role reviews each stage; used for the review queue.
STAGE_ROLES: dict[State, Role] = {
    State.POLITICAL_REVIEW: Role.POLITICAL_REVIEWER,
    State.SCIENCE_REVIEW: Role.SCIENCE_REVIEWER,
    State.FINAL_REVIEW: Role.EDITOR,
}


def allowed_actions(state: State) -> list[Action]:
    """Actions the table allows from a state, whoever the actor."""
    return [action for (s, action) in TRANSITIONS if s == state]


def mermaid() -> str:
    """Render the transition table as a Mermaid state diagram."""
    lines = ["stateDiagram-v2", "    [*] --> draft"]
    for (state, action), rule in TRANSITIONS.items():
        who = rule.role.value if rule.role else "author"
        label = f"{action.value} ({who})"
        if rule.reason_required:
            label += " [reason]"
        lines.append(f"    {state.value} --> {rule.to.value}: {label}")
    lines.append(
        "    science_review --> science_review: approve (science_reviewer) [below N approvals]"
    )
    for terminal in (State.PUBLISHED, State.REJECTED, State.WITHDRAWN, State.RETRACTED):
        if terminal is not State.PUBLISHED:
            lines.append(f"    {terminal.value} --> [*]")
    return "\n".join(lines) + "\n"
