"""Messaging's URLs for the access walk (tests/test_url_access.py).

Each side gets a message to its client; the foreign side's text is a needle that must never reach
the agent. Templates and the settings are shared (no client).
"""

import datetime

from policydesk.messaging.models import MessagingSettings
from policydesk.messaging.services import message_queue, rule_save, template_save

PATH_ARGS = {
    "messaging:message": {"pk": "message"},
    "messaging:message_cancel": {"pk": "message"},
    "messaging:message_retry": {"pk": "message"},
    "messaging:template": {"pk": "messaging_template"},
    "messaging:template_edit": {"pk": "messaging_template"},
    "messaging:template_archive": {"pk": "messaging_template"},
    "messaging:send": {"pk": "client"},
    "messaging:opt_out": {"pk": "client"},
    "messaging:letter": {"pk": "client"},
    "message-detail": {"pk": "message"},
    "message-cancel": {"pk": "message"},
    "message-retry": {"pk": "message"},
    "messagetemplate-detail": {"pk": "messaging_template"},
    "messagetemplate-archive": {"pk": "messaging_template"},
    "messaging-webhook": {"secret": "messaging_webhook_secret", "kind": "messaging_webhook_kind"},
    "messaging:rule": {"pk": "messaging_rule"},
    "messaging:rule_edit": {"pk": "messaging_rule"},
    "messaging:rule_archive": {"pk": "messaging_rule"},
    "rule-detail": {"pk": "messaging_rule"},
    "rule-archive": {"pk": "messaging_rule"},
    "messaging:mailing": {"pk": "mailing"},
    "messaging:mailing_edit": {"pk": "mailing"},
    "messaging:mailing_check": {"pk": "mailing"},
    "messaging:mailing_progress": {"pk": "mailing"},
    "messaging:mailing_start": {"pk": "mailing"},
    "messaging:mailing_pause": {"pk": "mailing"},
    "messaging:mailing_resume": {"pk": "mailing"},
    "messaging:mailing_cancel": {"pk": "mailing"},
    "messaging:mailing_test": {"pk": "mailing"},
}
CLIENT_BOUND = {"message", "mailing"}
FOREIGN_NEEDLES = ["Clandestine message text", "Clandestine mailing"]
# The SMS provider calls the webhooks without a session: the secret in the address is the key, and a
# wrong one is a 403 (tests/messaging/test_inbound.py).
PUBLIC = {"messaging-webhook"}


def populate(world) -> None:
    agent, other = world.users["agent"], world.users["other_agent"]
    world.own["message"] = message_queue(actor=agent, channel="sms", client=world.own["client"],
                                         recipient="+79035550101", body="Own message text")
    world.foreign["message"] = message_queue(actor=other, channel="sms", client=world.foreign["client"],
                                             recipient="+79161234568", body="Clandestine message text")
    world.shared["messaging_template"] = template_save(actor=world.users["admin"], name="Walk template",
                                                       channel="sms", event="general",
                                                       texts={"en": ("", "Walk {{ client.first_name }}")})
    world.shared["messaging_letter"] = template_save(actor=world.users["admin"], name="Walk letter",
                                                     channel="letter", event="general",
                                                     texts={"en": ("Walk", "Dear {{ client.first_name }}")})
    world.shared["messaging_rule"] = rule_save(actor=world.users["admin"], data={
        "name": "Walk rule", "event": "birthday", "offset_days": 0, "send_time": datetime.time(10), "channel": "sms",
        "template": world.shared["messaging_template"], "purpose": "service", "is_active": True})
    from django.contrib.auth.models import Permission

    from policydesk.messaging.mailings import mailing_save

    # A mailing belongs to its author: the other agent's is foreign (and its audience, read in the
    # author's scope, is the other agent's clients). The user who may do everything may send
    # mailings too: only the scope can stop them.
    world.users["agent_with_every_client_permission"].user_permissions.add(
        *Permission.objects.filter(content_type__app_label="messaging", codename__endswith="_mailing"))
    world.own["mailing"] = mailing_save(actor=agent, name="Own mailing", template=world.shared["messaging_template"],
                                        audience="clients")
    world.foreign["mailing"] = mailing_save(actor=other, name="Clandestine mailing",
                                            template=world.shared["messaging_template"], audience="clients")
    world.shared["messaging_webhook_secret"] = MessagingSettings.current().webhook_secret
    world.shared["messaging_webhook_kind"] = "report"


def action_data(world) -> dict:
    """Request bodies that would really write to or about a client if the scope check were missing."""
    return {
        "messaging:send": {"channel": "sms", "body": "walk"},
        "messaging:opt_out": {"channel": "sms"},
        "messaging:letter": {"template": world.shared["messaging_letter"].pk},
        "messaging:mailing_test": {"address": "+79161234567"},
        "message-list": {"client": world.foreign["client"].pk, "channel": "sms", "body": "walk"},
    }
