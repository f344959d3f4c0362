import datetime

import pytest
from django.contrib.sessions.models import Session
from django.utils import timezone

from policydesk.core.jobs import purge_expired_sessions_and_login_attempts

pytestmark = pytest.mark.django_db


def test_housekeeping_deletes_expired_sessions_only_and_can_run_twice():
    now = timezone.now()
    Session.objects.create(session_key="old", session_data="x", expire_date=now - datetime.timedelta(days=1))
    Session.objects.create(session_key="live", session_data="x", expire_date=now + datetime.timedelta(days=1))
    purge_expired_sessions_and_login_attempts.call_local()
    purge_expired_sessions_and_login_attempts.call_local()
    assert list(Session.objects.values_list("session_key", flat=True)) == ["live"]
