"""Registrations of the diary's pages (see registrations.py)."""
