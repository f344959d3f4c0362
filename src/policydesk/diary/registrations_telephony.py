"""Registrations of the diary's telephony (see registrations.py)."""
