"""Registrations of the diary's calendar (see registrations.py)."""
