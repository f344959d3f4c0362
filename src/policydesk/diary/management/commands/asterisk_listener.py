"""``policydesk asterisk-listener``: follow Asterisk's calls through its manager interface and post
them to PolicyDesk's call-events API (policydesk/diary/asterisk.py, docs/telephony.md)."""

import logging

from django.core.management.base import BaseCommand

from policydesk.diary import asterisk


class Command(BaseCommand):
    help = "Post Asterisk's call events (AMI) to PolicyDesk's call-events API; reconnects until stopped."

    def add_arguments(self, parser):
        asterisk.add_arguments(parser)

    def handle(self, *args, host, port, username, secret, api_url, token, extension_pattern, keepalive, **options):
        logging.basicConfig(level=logging.INFO if options["verbosity"] >= 1 else logging.WARNING,
                            format="%(asctime)s %(levelname)s %(message)s")
        asterisk.listen(host=host, port=port, username=username, secret=secret, api_url=api_url, token=token,
                        extension_pattern=extension_pattern, keepalive=keepalive)
