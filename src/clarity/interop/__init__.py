"""Interoperability: a device session exported as a FHIR R4 ``Bundle``."""
