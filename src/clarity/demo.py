"""Demo data for a first ``clarity serve``: a clinician, a patient with a device and a recorded
session (a minute of synthetic 12-lead ECG streamed through the device protocol), more patients."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import numpy as np
from sqlalchemy.orm import Session

from clarity.auth import repository as auth_repository
from clarity.auth import service as auth_service
from clarity.auth.principal import Principal
from clarity.ecg.synthetic import synthetic_waveform
from clarity.kit.time import utcnow
from clarity.monitoring import frames
from clarity.monitoring import service as monitoring
from clarity.monitoring.schemas import EventUpload, MetricsUpload, SessionEnd, SessionStart
from clarity.patients import service as patients
from clarity.patients.schemas import PatientCreate
from clarity.runtime import Runtime

DEMO_GAIN = 1000.0  # counts per mV
DEMO_PASSWORD = "clarity-demo"  # noqa: S105 - a published demo credential, refused in production


@dataclass(frozen=True)
class DemoAccount:
    role: str
    identifier: str
    password: str


def seed_demo(db: Session, runtime: Runtime) -> list[DemoAccount]:
    """Create the demo accounts, patients and session in an empty database; nothing when users exist."""
    if auth_repository.count_users(db) > 0:
        return []
    clinician = auth_service.create_user(
        db,
        auth_service.NewUser(
            full_name="Dr. Demo Clinician",
            password=DEMO_PASSWORD,
            role="clinician",
            email="clinician@demo.clarity",
        ),
    )
    device_user = auth_service.create_user(
        db,
        auth_service.NewUser(
            full_name="Demo Patient",
            password=DEMO_PASSWORD,
            age=58,
            gender="Male",
            phone="+10000000000",
            device_serial="ECG-DEMO-0001",
            email="patient@demo.clarity",
        ),
    )
    own = patients.create_self_patient(db, device_user)
    doctor = Principal(clinician.id, "clinician", "token", "demo")
    for name, age in (("Ada Example", 67), ("Ben Sample", 45)):
        patients.create_patient(
            db, doctor, PatientCreate.model_validate({"name": name, "age": age})
        )
    patients.put_in_care(db, own.id, clinician.id)
    _record_session(db, runtime, Principal(device_user.id, "patient", "token", "demo"))
    return [
        DemoAccount("clinician", "clinician@demo.clarity", DEMO_PASSWORD),
        DemoAccount("patient", "ECG-DEMO-0001", DEMO_PASSWORD),
    ]


def _record_session(db: Session, runtime: Runtime, device: Principal) -> None:
    """One minute at 500 Hz in 5 s binary chunks with device metrics, a PVC event and the end."""
    started = utcnow() - timedelta(minutes=2)
    session = monitoring.start_session(
        db,
        device,
        SessionStart(
            device_serial="ECG-DEMO-0001",
            timestamp=started,
            device_info={"app_version": "demo", "sampling_rate": 500},
        ),
    )
    ecg = synthetic_waveform(fs=500.0, duration_s=60.0, heart_rate_bpm=74.0, pvc_every=9, seed=7)
    counts = np.round(ecg.samples * DEMO_GAIN).astype(np.int16)
    for first in range(0, ecg.n_samples, 2500):
        at = started + timedelta(seconds=first / ecg.fs)
        frame = frames.Frame(
            ecg.fs,
            ecg.leads,
            counts[:, first : first + 2500],
            DEMO_GAIN,
            first,
            int(at.timestamp() * 1000),
        )
        monitoring.add_waveform(db, runtime, device, session.session_id, frames.encode(frame), None)
        metrics = MetricsUpload(timestamp=at, metrics={"heart_rate": 74, "qrs_duration": 88})
        monitoring.add_metrics(db, runtime, device, session.session_id, metrics, None)
    pvc = EventUpload.model_validate(
        {
            "type": "arrhythmia_detected",
            "timestamp": started + timedelta(seconds=7),
            "arrhythmia": {"type": "PVC", "severity": "mild", "lead": "II"},
        }
    )
    monitoring.add_event(db, runtime, device, session.session_id, pvc, None)
    summary = {"duration_seconds": 60, "average_heart_rate": 74, "arrhythmias_detected": ["PVC"]}
    monitoring.end_session(
        db,
        runtime,
        device,
        session.session_id,
        SessionEnd(summary=summary, timestamp=started + timedelta(seconds=60)),
    )
