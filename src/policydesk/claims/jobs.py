"""The claims' scheduled job (Huey). Thin: the work and its idempotence are in services.documents_chase."""

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

logger = logging.getLogger(__name__)


@db_periodic_task(crontab(minute="15", hour="*"))  # hourly: a document turns overdue on a day, not a minute
def chase_missing_documents():
    """Give the curator a task (once) for every claim whose required documents are missing N days."""
    from .services import documents_chase

    done = documents_chase()
    if done["claims"]:
        logger.info("Claims chased: %(claims)s claims, %(tasks)s tasks, %(documents)s documents", done)
    return done
