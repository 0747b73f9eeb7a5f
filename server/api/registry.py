"""The feature route handlers, registered here so app.py stays wiring only.

Several features add themselves here: edit by adding a line, never by rewriting the list.
"""

from __future__ import annotations


def handlers() -> list:
    from server.api.cases import CaseController
    from server.api.contact_slips import ContactSlipController
    from server.api.field_refusals import FieldRefusalController
    from server.api.gate import GateController
    from server.api.quality import QualityController
    from server.api.services import CONTROLLERS as SERVICE_CONTROLLERS
    from server.api.staff import CompoundPhonesController, StaffController
    from server.api.sync import SyncController
    from server.notify.api import PushController

    return [CaseController, SyncController, GateController, PushController, *SERVICE_CONTROLLERS,
            QualityController, FieldRefusalController, ContactSlipController,
            StaffController,
            CompoundPhonesController]
