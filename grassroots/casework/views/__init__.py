"""Casework pages for officers and leaders: intake at the window (``intake``), a request's page with its
actions and mediation forms (``detail``), and the lists to work from (``queues``)."""

from .common import form_errors_from, refusal_message
from .detail import (
    agreement_confirm,
    agreement_document,
    agreement_sign,
    litigation_divert,
    party_add,
    request_act,
    request_detail,
    request_follow_up,
    session_record,
)
from .intake import (
    intake,
    intake_duplicates,
    intake_expected,
    intake_grids,
    intake_residents,
    reason_label,
    receipt,
)
from .queues import alert_acknowledge, follow_up_queue, leader_queue, my_requests

__all__ = [
    "agreement_confirm",
    "agreement_document",
    "agreement_sign",
    "alert_acknowledge",
    "follow_up_queue",
    "form_errors_from",
    "intake",
    "intake_duplicates",
    "intake_expected",
    "intake_grids",
    "intake_residents",
    "leader_queue",
    "litigation_divert",
    "my_requests",
    "party_add",
    "reason_label",
    "receipt",
    "refusal_message",
    "request_act",
    "request_detail",
    "request_follow_up",
    "session_record",
]
