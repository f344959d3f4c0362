"""The service area's scheduled jobs (Huey). Thin: the work and its idempotence are in the services."""

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

logger = logging.getLogger(__name__)


@db_periodic_task(crontab(minute="*/5"))
def escalate_overdue_requests():
    """Escalate each request past its deadline to its assignee's head, once; the head is notified
    (and emailed, where they chose so, by the diary's notification job)."""
    from .services import requests_escalate

    done = requests_escalate()
    if done:
        logger.info("Escalated %s overdue service requests", done)
    return done
