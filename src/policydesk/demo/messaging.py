"""Demo messaging (issue 6): the templates an agency starts with, in the five languages, the automatic
messages that use them, and a New Year mailing to the VIP clients.

``record_messaging(today=)`` is idempotent (it does nothing when the templates exist). The automatic
messages are active: the worker queues what they have due (every ten minutes) and sends it to the
file outbox. The mailing is sent in a small demo; in a large one (more than ``MAILING_FROM``
clients) it stays a draft, to be checked and started by hand.
"""

import datetime

from django.db import transaction

from policydesk.accounts.models import User
from policydesk.clients.models import Client, Tag
from policydesk.messaging.mailings import mailing_save, mailing_start, mailing_write
from policydesk.messaging.models import MessageTemplate
from policydesk.messaging.services import rule_save, template_save

MAILING_FROM = 20_000

TEMPLATES = [
    ("Renewal invitation", "sms", "policy_expiring", {
        "en": ("", "{{ client.first_name }}, your {{ policy.line }} policy {{ policy.number }} ends on "
                   "{{ policy.end_date }}. Reply or call {{ agent.name }} to renew. {{ agency.name }}"),
        "ru": ("", "{{ client.first_name }}, ваш полис {{ policy.line }} {{ policy.number }} заканчивается "
                   "{{ policy.end_date }}. Для продления позвоните: {{ agent.name }}. {{ agency.name }}"),
        "fa": ("", "{{ client.first_name }} عزیز، بیمه‌نامهٔ {{ policy.line }} شما ({{ policy.number }}) در تاریخ "
                   "{{ policy.end_date }} به پایان می‌رسد. برای تمدید با {{ agent.name }} تماس بگیرید. {{ agency.name }}"),
        "az": ("", "{{ client.first_name }}, {{ policy.line }} polisiniz {{ policy.number }} {{ policy.end_date }} "
                   "tarixində bitir. Yeniləmək üçün {{ agent.name }} ilə əlaqə saxlayın. {{ agency.name }}"),
        "zh-hans": ("", "{{ client.first_name }}，您的{{ policy.line }}保单 {{ policy.number }} 将于 "
                        "{{ policy.end_date }} 到期。续保请联系 {{ agent.name }}。{{ agency.name }}"),
    }),
    ("Payment reminder", "sms", "installment_due", {
        "en": ("", "{{ client.first_name }}, installment {{ installment.number }} of policy {{ policy.number }}, "
                   "{{ installment.left }}, is due on {{ installment.due_date }}. {{ agency.name }}"),
        "ru": ("", "{{ client.first_name }}, взнос {{ installment.number }} по полису {{ policy.number }} "
                   "({{ installment.left }}) нужно оплатить до {{ installment.due_date }}. {{ agency.name }}"),
        "fa": ("", "{{ client.first_name }} عزیز، قسط {{ installment.number }} بیمه‌نامهٔ {{ policy.number }} به مبلغ "
                   "{{ installment.left }} در تاریخ {{ installment.due_date }} سررسید می‌شود. {{ agency.name }}"),
        "az": ("", "{{ client.first_name }}, {{ policy.number }} polisi üzrə {{ installment.number }} saylı ödəniş "
                   "({{ installment.left }}) {{ installment.due_date }} tarixinədək ödənilməlidir. {{ agency.name }}"),
        "zh-hans": ("", "{{ client.first_name }}，保单 {{ policy.number }} 的第 {{ installment.number }} 期保费"
                        "（{{ installment.left }}）应于 {{ installment.due_date }} 前缴纳。{{ agency.name }}"),
    }),
    ("Happy birthday", "sms", "birthday", {
        "en": ("", "Happy birthday, {{ client.first_name }}! Best wishes from {{ agent.name }} and {{ agency.name }}."),
        "ru": ("", "{{ client.first_name }}, с днём рождения! С наилучшими пожеланиями, {{ agent.name }}, "
                   "{{ agency.name }}."),
        "fa": ("", "{{ client.first_name }} عزیز، تولدتان مبارک! با بهترین آرزوها، {{ agent.name }} و {{ agency.name }}."),
        "az": ("", "{{ client.first_name }}, ad gününüz mübarək! Ən xoş arzularla, {{ agent.name }}, {{ agency.name }}."),
        "zh-hans": ("", "{{ client.first_name }}，生日快乐！{{ agent.name }} 与 {{ agency.name }} 祝您一切顺利。"),
    }),
    ("Claim registered", "email", "claim_opened", {
        "en": ("Your claim {{ claim.number }} is registered",
               "Dear {{ client.first_name }},\n\nwe have registered your claim {{ claim.number }} ({{ claim.kind }}, "
               "{{ claim.event_date }}) on policy {{ policy.number }}. {{ agent.name }} will keep you informed.\n\n"
               "{{ agency.name }}"),
        "ru": ("Ваше заявление {{ claim.number }} зарегистрировано",
               "{{ client.first_name }}, здравствуйте!\n\nМы зарегистрировали ваше заявление о страховом случае "
               "{{ claim.number }} ({{ claim.kind }}, {{ claim.event_date }}) по полису {{ policy.number }}. "
               "{{ agent.name }} будет держать вас в курсе.\n\n{{ agency.name }}"),
    }),
    ("New Year greeting", "sms", "general", {
        "en": ("", "{{ client.first_name }}, happy New Year! Thank you for your trust. {{ agent.name }}, {{ agency.name }}"),
        "ru": ("", "{{ client.first_name }}, с Новым годом! Спасибо за доверие. {{ agent.name }}, {{ agency.name }}"),
        "fa": ("", "{{ client.first_name }} عزیز، سال نو مبارک! از اعتماد شما سپاسگزاریم. {{ agent.name }}، {{ agency.name }}"),
        "az": ("", "{{ client.first_name }}, Yeni iliniz mübarək! Etimadınız üçün təşəkkür edirik. {{ agent.name }}, "
                   "{{ agency.name }}"),
        "zh-hans": ("", "{{ client.first_name }}，新年快乐！感谢您的信任。{{ agent.name }}，{{ agency.name }}"),
    }),
    ("Request resolved", "sms", "request_resolved", {
        "en": ("", "{{ client.first_name }}, your request {{ request.number }} is resolved: {{ request.resolution }} "
                   "{{ agency.name }}"),
        "ru": ("", "{{ client.first_name }}, ваше обращение {{ request.number }} решено: {{ request.resolution }} "
                   "{{ agency.name }}"),
    }),
]

RULES = [
    # name, event, offset (days), template, purpose
    ("Renewal invitation two weeks before", "policy_expiring", -14, "Renewal invitation", "service"),
    ("Payment reminder three days before", "installment_due", -3, "Payment reminder", "service"),
    ("Birthday greeting", "birthday", 0, "Happy birthday", "marketing"),
    ("Claim registered", "claim_opened", 0, "Claim registered", "service"),
]


def record_messaging(*, today: datetime.date | None = None) -> int:
    """The demo's templates, automatic messages and New Year mailing; returns the templates made."""
    if MessageTemplate.objects.filter(name="Renewal invitation").exists():
        return 0
    admin = User.objects.filter(username="admin").first()
    marketing = User.objects.filter(username="marketing").first() or admin
    if admin is None:
        return 0
    with transaction.atomic():
        templates = {name: template_save(actor=marketing, name=name, channel=channel, event=event, texts=texts)
                     for name, channel, event, texts in TEMPLATES}
        for name, event, offset, template, purpose in RULES:
            rule_save(actor=marketing, data={
                "name": name, "event": event, "offset_days": offset, "send_time": datetime.time(10, 0),
                "channel": templates[template].channel, "template": templates[template], "purpose": purpose,
                "is_active": True})
        vip = Tag.objects.filter(name="VIP").first()
        if vip is None:
            return len(templates)
        mailing = mailing_save(actor=marketing, name="New Year greeting to VIP clients",
                               template=templates["New Year greeting"], audience="clients", query=f"tags={vip.pk}",
                               purpose="marketing")
    if Client.objects.count() <= MAILING_FROM:
        mailing_start(actor=marketing, mailing=mailing)
        mailing_write(mailing.pk)
    return len(templates)
