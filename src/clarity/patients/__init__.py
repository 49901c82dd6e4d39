"""Patients: records, search, and who may see them."""
