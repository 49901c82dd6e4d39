"""Per-patient alert rules over HTTP, under ``/api/v1/patients/{patient_id}/alert-rules``."""

from __future__ import annotations

from fastapi import APIRouter

from clarity.api.deps import CurrentPrincipal, DbSession
from clarity.monitoring import alerts
from clarity.monitoring.alert_schemas import AlertRulesRead, AlertRulesUpdate

router = APIRouter(prefix="/api/v1/patients", tags=["alerts"])


@router.get("/{patient_id}/alert-rules", response_model=AlertRulesRead)
def get_alert_rules(patient_id: str, principal: CurrentPrincipal, db: DbSession) -> AlertRulesRead:
    """The patient's alert thresholds (staff caring for them, admins, or the patient)."""
    return alerts.get_rules(db, principal, patient_id)


@router.put("/{patient_id}/alert-rules", response_model=AlertRulesRead)
def put_alert_rules(
    patient_id: str, body: AlertRulesUpdate, principal: CurrentPrincipal, db: DbSession
) -> AlertRulesRead:
    """Set the patient's alert thresholds (clinicians caring for them, and admins)."""
    return alerts.put_rules(db, principal, patient_id, body)
