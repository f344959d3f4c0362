"""The diary's scheduled jobs (Huey). Thin: the work and its idempotence are in the services."""

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

logger = logging.getLogger(__name__)


@db_periodic_task(crontab())  # every minute: a reminder shows in the application at its time
def send_due_reminders():
    """Notify every reminder that has fallen due, and queue in the outbox the emails of those who chose
    them (of every notification but missed calls)."""
    from .services_calendar import reminders_send

    done = reminders_send()
    if done["tasks"]:
        logger.info("Reminders: %(tasks)s tasks, %(notified)s notifications, %(emailed)s emails queued", done)
    return done
