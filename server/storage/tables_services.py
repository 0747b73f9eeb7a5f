"""Storage for special services, return visits, surveys, keys, compensations and monthly reports.

Mirrored by migrations/versions/0005_services.py, 0011_booking_no.py, 0015_key_counts.py,
0016_key_loan_kept_refunds.py, 0020_call_back_rounds.py and 0023_survey_period.py. Each aggregate is one
msgspec JSON document (the domain Struct) plus the columns queries filter on (decisions.md D1).
"""

from __future__ import annotations

from sqlalchemy import Column, Index, Integer, String, Table, Text, UniqueConstraint

from server.storage.schema import TS, metadata

service_items = Table(
    "service_items",
    metadata,
    Column("compound_id", String(40), primary_key=True),
    Column("code", String(40), primary_key=True),
    Column("status", String(20), nullable=False),
    Column("updated_at", TS, nullable=False),
    Column("doc", Text, nullable=False),  # domain ServiceItem (price history inside)
)

service_agreements = Table(
    "service_agreements",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("compound_id", String(40), nullable=False, index=True),
    Column("item_code", String(40), nullable=False),
    Column("valid_until", TS, nullable=False),
    Column("doc", Text, nullable=False),  # domain Agreement
)

service_bookings = Table(
    "service_bookings",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("compound_id", String(40), nullable=False),
    # The booking's human number (TY20261123-001), also in the doc; migration 0011 numbered the
    # bookings made before it. Unique per compound.
    Column("booking_no", String(40), nullable=True),
    Column("item_code", String(40), nullable=False),
    Column("state", String(20), nullable=False),
    Column("case_id", String(40), nullable=True, unique=True),
    # Where and what, for the case the dispatch opens (the domain Booking keeps only the unit label).
    Column("unit_id", String(40), nullable=True),
    Column("content", Text, nullable=False, default=""),
    Column("booked_at", TS, nullable=False),
    Column("settled_at", TS, nullable=True),
    Column("doc", Text, nullable=False),  # domain Booking
    Index("ix_service_bookings_compound_state", "compound_id", "state"),
    Index("uq_service_bookings_compound_no", "compound_id", "booking_no", unique=True),
)

# A manager's decision on a loss-making service (R-SS-4), kept with the review it was based on.
service_loss_decisions = Table(
    "service_loss_decisions",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("compound_id", String(40), nullable=False, index=True),
    Column("item_code", String(40), nullable=False),
    Column("decided_at", TS, nullable=False),
    Column("doc", Text, nullable=False),  # domain LossDecision
)

call_backs = Table(
    "call_backs",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("compound_id", String(40), nullable=False),
    Column("subject", String(20), nullable=False),
    # The case the call-back is about (for a special service: the booking's case).
    Column("subject_id", String(40), nullable=False),
    # The round of work it asks about: 0 the first, n the work redone after the n-th reopening (0019).
    Column("completion_round", Integer, nullable=False, default=0, server_default="0"),
    Column("due_at", TS, nullable=False),
    Column("called_back_at", TS, nullable=True),
    # open | done: a C grade opens a review the manager closes.
    Column("review", String(10), nullable=True),
    Column("doc", Text, nullable=False),  # domain CallBackTask + review fields
    # One call-back per round of work on a subject: creating it again on a later save is a no-op.
    UniqueConstraint("subject", "subject_id", "completion_round", name="uq_call_backs_round"),
    Index("ix_call_backs_compound_due", "compound_id", "due_at"),
)

surveys = Table(
    "surveys",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("compound_id", String(40), nullable=False, index=True),
    Column("opened_at", TS, nullable=False),
    Column("doc", Text, nullable=False),  # domain PeriodicSurvey with its ballots
    # The month whose report counts the survey ("2026-11"); NULL on surveys opened before it was asked
    # for, which count in the month they were opened in (0023_survey_period, D139).
    Column("period", String(7), nullable=True),
    Index("ix_surveys_compound_period", "compound_id", "period"),
)

monthly_reports = Table(
    "monthly_reports",
    metadata,
    Column("compound_id", String(40), primary_key=True),
    Column("year", Integer, primary_key=True, autoincrement=False),
    Column("month", Integer, primary_key=True, autoincrement=False),
    Column("status", String(20), nullable=False),
    Column("updated_at", TS, nullable=False),
    Column("doc", Text, nullable=False),  # domain MonthlyReport, frozen when submitted
)

# The yearly complaint analysis report (客户投诉报告, R-RV-5): stored once the manager writes its analysis;
# frozen as handed in to the deputy GM (D130). Mirrored by migrations/versions/0019_yearly_complaint_reports.py.
yearly_complaint_reports = Table(
    "yearly_complaint_reports",
    metadata,
    Column("compound_id", String(40), primary_key=True),
    Column("year", Integer, primary_key=True, autoincrement=False),
    Column("status", String(20), nullable=False),
    Column("updated_at", TS, nullable=False),
    Column("doc", Text, nullable=False),  # domain YearlyComplaintReport
)

keys = Table(
    "keys",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("compound_id", String(40), nullable=False),
    Column("building", String(100), nullable=False),
    Column("floor", String(20), nullable=False),
    Column("key_type", String(30), nullable=False),
    Column("state", String(20), nullable=False),
    Column("doc", Text, nullable=False),  # domain Key
    Index("ix_keys_compound_filing", "compound_id", "building", "floor", "key_type"),
)

key_loans = Table(
    "key_loans",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("compound_id", String(40), nullable=False),
    Column("key_id", String(40), nullable=False, index=True),
    Column("lent_at", TS, nullable=False),
    Column("due_at", TS, nullable=False),
    Column("returned_at", TS, nullable=True),  # when the loan ended, returned or lost (D61)
    # When a deposit kept at a loss was handed back, the key found (D86): a month reads the loans whose
    # refund falls in it, though they ended earlier.
    Column("kept_refunded_at", TS, nullable=True),
    Column("doc", Text, nullable=False),  # domain KeyLoan
    Index("ix_key_loans_compound_open", "compound_id", "returned_at"),
)

# The physical month-end count at the cabinet, once per month (D72): the key is the month.
key_counts = Table(
    "key_counts",
    metadata,
    Column("compound_id", String(40), primary_key=True),
    Column("year", Integer, primary_key=True, autoincrement=False),
    Column("month", Integer, primary_key=True, autoincrement=False),
    Column("counted_at", TS, nullable=False),
    Column("doc", Text, nullable=False),  # domain PhysicalCount
)

compensations = Table(
    "compensations",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("compound_id", String(40), nullable=False, index=True),
    Column("case_id", String(40), nullable=False),
    Column("opened_at", TS, nullable=False),
    Column("closed_at", TS, nullable=True),
    Column("doc", Text, nullable=False),  # domain Compensation
)
