"""Signals other apps listen to, so that insurance never imports them.

``policy_issued`` is sent inside the issuing transaction, after the policy is saved in the issued
state (by ``policy_issue``, and by ``policy_create`` when it issues at once), with ``policy`` and
``actor``. A receiver that raises rolls the issue back. Receivers call their own app's services;
they hold no logic of their own.
"""

from django.dispatch import Signal

policy_issued = Signal()
