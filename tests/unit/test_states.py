"""The state table reads top to bottom and the docs diagram is generated from it."""

from __future__ import annotations

from pathlib import Path

from review.states import TRANSITIONS, Action, Role, State, mermaid

DOC = Path(__file__).resolve().parents[2] / "docs" / "state-machine.md"


def test_every_state_is_reachable_from_draft():
    reached, frontier = {State.DRAFT}, [State.DRAFT]
    while frontier:
        state = frontier.pop()
        for (src, _), rule in TRANSITIONS.items():
            if src == state and rule.to not in reached:
                reached.add(rule.to)
                frontier.append(rule.to)
    assert reached == set(State)


def test_refusals_need_a_reason_and_terminal_states_are_final():
    for (_, action), rule in TRANSITIONS.items():
        if action in (Action.REJECT, Action.REQUEST_CHANGES, Action.RETRACT):
            assert rule.reason_required, action
    sources = {src for src, _ in TRANSITIONS}
    assert not sources & {State.REJECTED, State.WITHDRAWN, State.RETRACTED}
    assert TRANSITIONS[(State.FINAL_REVIEW, Action.PUBLISH)].role is Role.EDITOR


def test_docs_diagram_matches_the_table():
    assert mermaid() in DOC.read_text(encoding="utf-8"), (
        "run: kepu docs state-machine > docs/state-machine.md"
    )
