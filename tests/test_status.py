"""The status model: illegal moves are refused, and providers see seed 004's A/C/D/P/M codes."""

import pytest

from openum.errors import IllegalTransition
from openum.intake.status import ALLOWED, Status, check_transition, provider_status


@pytest.mark.parametrize("final", [Status.CLOSED, Status.WITHDRAWN, Status.VOIDED])
def test_final_statuses_allow_no_further_move(final: Status) -> None:
    for target in Status:
        with pytest.raises(IllegalTransition):
            check_transition(final, target)


def test_an_approved_request_cannot_be_pended_or_denied_again() -> None:
    for target in (Status.PENDED_FOR_INFORMATION, Status.DENIED, Status.IN_CLINICAL_REVIEW):
        with pytest.raises(IllegalTransition) as err:
            check_transition(Status.APPROVED, target)
        assert "approved" in err.value.message and target.value in err.value.message


def test_received_cannot_be_partially_approved_without_review() -> None:
    with pytest.raises(IllegalTransition):
        check_transition(Status.RECEIVED, Status.PARTIALLY_APPROVED)


def test_a_denial_can_be_overturned_to_approved() -> None:
    check_transition(Status.DENIED, Status.APPROVED)


def test_every_status_has_a_row_in_the_table() -> None:
    assert set(ALLOWED) == set(Status)


@pytest.mark.parametrize(("status", "code"), [
    # Seed 004, Service Authorization Report: A approved, C closed, D denied,
    # P pended (awaiting review or information), M medreview.
    (Status.APPROVED, "A"),
    (Status.DENIED, "D"),
    (Status.CLOSED, "C"),
    (Status.PENDED_FOR_INFORMATION, "P"),
    (Status.RECEIVED, "P"),
    (Status.IN_CLINICAL_REVIEW, "M"),
    (Status.IN_PHYSICIAN_REVIEW, "M"),
])
def test_provider_facing_code(status: Status, code: str) -> None:
    assert provider_status(status).value == code
