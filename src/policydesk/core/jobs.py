"""Housekeeping run by the worker on a schedule. Idempotent: running twice does no harm."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task


@db_periodic_task(crontab(minute="17", hour="3"))
def purge_expired_sessions_and_login_attempts():
    """Delete expired sessions and login-failure records older than the lockout period."""
    from django.core.management import call_command

    call_command("clearsessions")
    call_command("axes_reset_failure_logs", age=30)
