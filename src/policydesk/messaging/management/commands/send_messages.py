"""``policydesk send-messages``: send the queued messages that are due now, as the worker does every
minute (messaging/jobs.py), for cron or an operator.

It runs the worker's sender (``jobs.run_sender``) under the same lock: while the worker (or another
run of this command) is sending, it does nothing and says so. A sender killed outright cannot keep
the lock: it is a lease that the next run breaks after 15 minutes (messaging/jobs.py).
"""

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = (
        "Send the queued messages that are due now (SMS and email), as the worker does every minute: "
        "new messages, retries whose time has come, messages held by the quiet hours once they end. "
        "Prints how many were sent, queued again for a retry, failed, and deferred to the end of the "
        "quiet hours."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--limit", type=int, default=None, metavar="N",
            help="send at most N messages (default: every message that is due)",
        )

    def handle(self, *args, limit=None, **options):
        if limit is not None and limit < 1:
            raise CommandError("--limit must be a positive number.")
        from policydesk.messaging.jobs import SENDER, run_sender

        done = run_sender(limit=limit)
        if not any(done.values()) and SENDER.is_held():
            self.stderr.write(
                "Another sender is running (the worker, or another run of this command), so nothing was "
                "sent by this one. (A sender that was killed gives up its lock after 15 minutes.)"
            )
        self.stdout.write(
            f"{done['sent']} sent, {done['retry']} queued again for a retry, {done['failed']} failed, "
            f"{done['deferred']} deferred (quiet hours)."
        )
