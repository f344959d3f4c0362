"""Pages of messaging: the outbox and a message's card, templates with their live preview, a message
from the client card, opt-outs, and the administrator's settings (gateway, sender, quiet hours)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from policydesk.clients.models import Client
from policydesk.core.errors import ApplicationError
from policydesk.core.views import ObjectCardView, ObjectListView, flash_application_error, redirect_back

from .choices import Channel, Event, MessageStatus
from .filtersets import MessageFilterSet, RuleFilterSet, TemplateFilterSet
from .forms import MessagingSettingsForm, RuleForm, SendForm, TemplateForm
from .models import Message, MessageTemplate, MessagingSettings, Rule
from .placeholders import allowed_names, example_context, message_context, placeholders_for
from .rendering import TemplateError, validate_template
from .rendering import render as render_text
from .services import (
    letter_print,
    message_cancel,
    message_retry,
    message_send_now,
    opt_in,
    opt_out,
    rule_archive,
    rule_save,
    template_save,
)
from .smslength import sms_length
from .tables import MessageTable, RuleTable, TemplateTable


def require(request, permission: str) -> None:
    if not request.user.has_perm(permission):
        raise PermissionDenied


# -- the outbox --------------------------------------------------------------------------------------------


class OutboxView(ObjectListView):
    model = Message
    filterset_class = MessageFilterSet
    table_class = MessageTable
    template_name = "messaging/outbox.html"
    export_permission = "messaging.view_message"

    def get_queryset(self):
        return super().get_queryset().select_related("client", "template", "user").order_by("-created_at", "-pk")


class FailedView(OutboxView):
    """The control list of messages that failed after every attempt (the gateway refused them, or
    kept failing): to send again once the cause is fixed, or to reach the client another way."""

    template_name = "messaging/failed.html"

    def get_queryset(self):
        return (super().get_queryset().filter(status=MessageStatus.FAILED)
                .order_by("-failed_at", "-pk"))

    def get_extra_context(self, request):
        return {"can_retry": request.user.has_perm("messaging.change_message")}


@login_required
@require_POST
def failed_retry_all(request):
    """Send again every failed message the user sees (the gateway's trouble is over)."""
    require(request, "messaging.change_message")
    from .services import messages_retry

    count = messages_retry(actor=request.user,
                           messages=Message.objects.visible_to(request.user).filter(status=MessageStatus.FAILED))
    messages.success(request, _("%(count)s messages are queued again.") % {"count": count})
    return redirect("messaging:failed")


class MessageCardView(ObjectCardView):
    model = Message
    template_name = "messaging/message.html"

    def get_queryset(self):
        return super().get_queryset().select_related("client", "template", "user", "created_by", "policy", "claim",
                                                     "request", "task")

    def get_extra_context(self, request, obj):
        can_change = request.user.has_perm("messaging.change_message")
        return {"message": obj, "can_cancel": can_change and obj.status == MessageStatus.QUEUED,
                "can_retry": can_change and obj.status == MessageStatus.FAILED}


def _message_action(request, pk, func, success: str):
    require(request, "messaging.change_message")
    message = get_object_or_404(Message.objects.visible_to(request.user), pk=pk)
    try:
        func(actor=request.user, message=message)
        messages.success(request, success)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect_back(request, message.get_absolute_url())


@login_required
@require_POST
def message_cancel_view(request, pk):
    return _message_action(request, pk, message_cancel, _("The message will not be sent."))


@login_required
@require_POST
def message_retry_view(request, pk):
    return _message_action(request, pk, message_retry, _("The message is queued again."))


# -- templates ------------------------------------------------------------------------------------------------


class TemplateListView(ObjectListView):
    model = MessageTemplate
    filterset_class = TemplateFilterSet
    table_class = TemplateTable
    template_name = "messaging/template_list.html"

    def get_queryset(self):
        return MessageTemplate.objects.filter(archived_at__isnull=True).prefetch_related("texts")

    def get_extra_context(self, request):
        return {"can_add": request.user.has_perm("messaging.add_messagetemplate")}


def _template_page(request, form, template=None):
    event = form.data.get("event") if form.is_bound else form.initial.get("event", Event.GENERAL)
    return render(request, "messaging/template_form.html", {
        "form": form, "template": template, "placeholders": placeholders_for(event or Event.GENERAL),
        "clients_url": reverse("clients:suggest")})


def _template_edit(request, template=None):
    form = TemplateForm(request.POST or None, template=template)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            template = template_save(actor=request.user, template=template, name=data["name"],
                                     channel=data["channel"], event=data["event"], texts=form.texts(),
                                     is_active=data["is_active"])
        except ApplicationError as exc:
            flash_application_error(request, form, exc)
        else:
            messages.success(request, _("The template is saved."))
            return redirect(template.get_absolute_url())
    return _template_page(request, form, template)


@login_required
def template_add(request):
    require(request, "messaging.add_messagetemplate")
    return _template_edit(request)


@login_required
def template_edit(request, pk):
    require(request, "messaging.change_messagetemplate")
    template = get_object_or_404(MessageTemplate, pk=pk, archived_at__isnull=True)
    return _template_edit(request, template)


class TemplateCardView(ObjectCardView):
    model = MessageTemplate
    template_name = "messaging/template_card.html"

    def get_queryset(self):
        return MessageTemplate.objects.prefetch_related("texts")

    def get_extra_context(self, request, obj):
        return {"template": obj, "can_change": request.user.has_perm("messaging.change_messagetemplate")
                and obj.archived_at is None}


def template_overview_context(request, template) -> dict:
    """Each language's text, rendered with example values, with its SMS length."""
    context = example_context(template.event)
    texts = []
    for text in sorted(template.texts.all(), key=lambda t: t.language):
        body = render_text(text.body, context)
        texts.append({"text": text, "subject": render_text(text.subject, context) if text.subject else "",
                      "body": body, "length": sms_length(body) if template.channel == Channel.SMS else None})
    sent = Message.objects.visible_to(request.user).filter(template=template)
    return {"texts": texts, "placeholders": placeholders_for(template.event), "sent_count": sent.count(),
            "sent_url": f"{reverse('messaging:outbox')}?template={template.pk}"}


@login_required
@require_POST
def template_archive(request, pk):
    require(request, "messaging.change_messagetemplate")
    template = get_object_or_404(MessageTemplate, pk=pk, archived_at__isnull=True)
    from django.utils import timezone

    template.archived_at = timezone.now()
    template.save(update_fields=["archived_at", "updated_at"])
    messages.success(request, _("The template is archived."))
    return redirect("messaging:template_list")


@login_required
def template_placeholders(request):
    """The placeholder list beside the editor, for the event chosen (htmx)."""
    require(request, "messaging.view_messagetemplate")
    event = request.GET.get("event") if request.GET.get("event") in Event.values else Event.GENERAL
    return render(request, "messaging/_placeholders.html", {"placeholders": placeholders_for(event)})


@login_required
@require_POST
def template_preview(request):
    """The live preview beside the editor (htmx): one language's text checked and rendered with
    example values, or for a chosen client, with its SMS length; a mistake shows with its position."""
    require(request, "messaging.view_messagetemplate")
    event = request.POST.get("event") or Event.GENERAL
    channel = request.POST.get("channel") or Channel.SMS
    language = request.POST.get("language") or "en"
    subject = request.POST.get(f"subject_{language}", "")
    body = (request.POST.get(f"body_{language}", "") or "").replace("\r\n", "\n")
    context = example_context(event)
    client = None
    client_id = request.POST.get("client")
    if client_id and client_id.isdigit():
        client = Client.objects.visible_to(request.user).filter(pk=int(client_id)).first()
    policy = _preview_policy(request, (request.POST.get("preview_policy") or "").strip(), client)
    if policy is not None:
        client = policy.client
    if client is not None:
        context = {**context, **message_context(client=client, language=language,
                                                **_preview_records(event, client, policy))}
    error = None
    rendered_subject = rendered_body = ""
    try:
        validate_template(subject, allowed=allowed_names(event))
        validate_template(body, allowed=allowed_names(event))
        rendered_subject, rendered_body = render_text(subject, context), render_text(body, context)
    except TemplateError as exc:
        error = str(exc)
    return render(request, "messaging/_preview.html", {
        "error": error, "subject": rendered_subject, "body": rendered_body, "channel": channel, "client": client,
        "policy": policy,
        "length": sms_length(rendered_body) if channel == Channel.SMS and not error else None})


POLICY_PREVIEW_EVENTS = (Event.POLICY_EXPIRING, Event.POLICY_ISSUED, Event.POLICY_RENEWED, Event.INSTALLMENT_DUE,
                         Event.CLAIM_OPENED, Event.CLAIM_PAID)


def _preview_policy(request, typed: str, client):
    """The policy a preview is written about: the one whose number was typed (in the user's scope),
    else, for an event about a policy, the chosen client's latest."""
    from django.db.models import Q

    from policydesk.insurance.models import Policy

    policies = Policy.objects.visible_to(request.user).select_related("client__curator", "line", "insurer", "product")
    if typed:
        words = typed.split()
        condition = Q(number__iexact=typed)
        if len(words) == 2:
            condition |= Q(series__iexact=words[0], number__iexact=words[1])
        return policies.filter(condition).order_by("-end_date", "-pk").first()
    if client is not None and (request.POST.get("event") or "") in POLICY_PREVIEW_EVENTS:
        return policies.filter(client=client).order_by("-end_date", "-pk").first()
    return None


def _preview_records(event: str, client, policy) -> dict:
    """The installment or claim a preview is written about: the policy's next one to pay, the client's
    latest claim (on the policy when there is one)."""
    from policydesk.billing.models import Installment
    from policydesk.claims.models import Claim

    records = {"policy": policy} if policy is not None else {}
    if event == Event.INSTALLMENT_DUE and policy is not None:
        installment = (Installment.objects.filter(policy=policy).with_payment_state().select_related("policy")
                       .order_by("due_date", "pk").filter(open_amount__gt=0).first())
        if installment is not None:
            records["installment"] = installment
    if event in (Event.CLAIM_OPENED, Event.CLAIM_PAID):
        claims = Claim.objects.filter(client=client)
        if policy is not None:
            claims = claims.filter(policy=policy)
        claim = claims.order_by("-reported_on", "-pk").first()
        if claim is not None:
            records["claim"] = claim
    return records


# -- automatic messages -------------------------------------------------------------------------------------------


class RuleListView(ObjectListView):
    model = Rule
    filterset_class = RuleFilterSet
    table_class = RuleTable
    template_name = "messaging/rule_list.html"

    def get_queryset(self):
        return Rule.objects.filter(archived_at__isnull=True).select_related("template")

    def get_extra_context(self, request):
        return {"can_add": request.user.has_perm("messaging.add_rule")}


class RuleCardView(ObjectCardView):
    model = Rule
    template_name = "messaging/rule_card.html"

    def get_queryset(self):
        return Rule.objects.select_related("template").prefetch_related("lines", "insurers", "products", "tags")

    def get_extra_context(self, request, obj):
        return {"rule": obj, "can_change": request.user.has_perm("messaging.change_rule") and obj.archived_at is None}


def rule_overview_context(request, rule) -> dict:
    """What the rule would write to now: the occurrences due, and how many of them may not receive it."""
    from django.utils import timezone

    from .rules import due_window, occurrences, rule_key
    from .services import recipient_for

    first, last = due_window(rule, timezone.now())
    due = occurrences(rule, first, last) if rule.is_active and rule.archived_at is None else []
    written = set(Message.objects.filter(key__in=[rule_key(rule, o) for o in due]).values_list("key", flat=True))
    waiting = [o for o in due if rule_key(rule, o) not in written]
    blocked = sum(1 for o in waiting if recipient_for(o.client, rule.channel, rule.purpose)[1])
    sent = Message.objects.visible_to(request.user).filter(rule=rule)
    return {"window": (first, last), "due_count": len(waiting), "blocked_count": blocked,
            "sent_count": sent.count(), "sent_url": f"{reverse('messaging:outbox')}?rule={rule.pk}"}


def _rule_edit(request, rule=None):
    form = RuleForm(request.POST or None, instance=rule)
    if request.method == "POST" and form.is_valid():
        try:
            rule = rule_save(actor=request.user, rule=rule, data=form.cleaned_data)
        except ApplicationError as exc:
            flash_application_error(request, form, exc)
        else:
            messages.success(request, _("The automatic message is saved."))
            return redirect(rule.get_absolute_url())
    return render(request, "messaging/rule_form.html", {"form": form, "rule": rule})


@login_required
def rule_add(request):
    require(request, "messaging.add_rule")
    return _rule_edit(request)


@login_required
def rule_edit(request, pk):
    require(request, "messaging.change_rule")
    return _rule_edit(request, get_object_or_404(Rule, pk=pk, archived_at__isnull=True))


@login_required
@require_POST
def rule_archive_view(request, pk):
    require(request, "messaging.change_rule")
    rule_archive(actor=request.user, rule=get_object_or_404(Rule, pk=pk))
    messages.success(request, _("The automatic message is archived."))
    return redirect("messaging:rule_list")


# -- from the client card ---------------------------------------------------------------------------------------


@login_required
def send_to_client(request, pk):
    require(request, "messaging.add_message")
    client = get_object_or_404(Client.objects.visible_to(request.user), pk=pk, archived_at__isnull=True)
    form = SendForm(request.POST or None, initial={"channel": request.GET.get("channel", Channel.SMS)})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            message = message_send_now(actor=request.user, client=client, channel=data["channel"],
                                       template=data["template"], subject=data["subject"],
                                       body=(data["body"] or "").replace("\r\n", "\n"))
        except ApplicationError as exc:
            flash_application_error(request, form, exc)
        else:
            messages.success(request, _("The message is in the outbox: %(recipient)s.") % {
                "recipient": message.recipient})
            return redirect_back(request, f"{client.get_absolute_url()}?tab=messages")
    return render(request, "messaging/send.html", {"form": form, "client": client})


@login_required
def letter_to_client(request, pk):
    """A letter from a letter template, as a PDF to print (and recorded in the outbox)."""
    require(request, "messaging.add_message")
    client = get_object_or_404(Client.objects.visible_to(request.user), pk=pk, archived_at__isnull=True)
    templates = MessageTemplate.objects.filter(channel=Channel.LETTER, is_active=True, archived_at__isnull=True)
    error = ""
    if request.method == "POST":
        template = templates.filter(pk=request.POST.get("template") or 0).first()
        if template is None:
            error = _("Choose a letter template.")
        else:
            try:
                message, pdf = letter_print(actor=request.user, client=client, template=template)
            except ApplicationError as exc:
                error = exc.message
            else:
                response = HttpResponse(pdf, content_type="application/pdf")
                response["Content-Disposition"] = f'attachment; filename="letter-{message.pk}.pdf"'
                return response
    return render(request, "messaging/letter.html", {"client": client, "templates": templates.order_by("name"),
                                                     "error": error}, status=400 if error else 200)


@login_required
@require_POST
def client_opt_out(request, pk):
    require(request, "messaging.add_optout")
    client = get_object_or_404(Client.objects.visible_to(request.user), pk=pk)
    channel = request.POST.get("channel")
    if channel not in Channel.values:
        messages.error(request, _("Choose the channel."))
    elif request.POST.get("action") == "in":
        opt_in(actor=request.user, client=client, channel=channel)
        messages.success(request, _("The client receives %(channel)s messages again.") % {
            "channel": Channel(channel).label})
    else:
        opt_out(actor=request.user, client=client, channel=channel, note=request.POST.get("note", ""))
        messages.success(request, _("The client receives no more %(channel)s messages.") % {
            "channel": Channel(channel).label})
    return redirect_back(request, f"{client.get_absolute_url()}?tab=messages")


@login_required
@require_POST
def sms_count(request):
    """The SMS counter under a text box (htmx): characters, parts, the encoding."""
    text = (request.POST.get(request.POST.get("field", ""), "") or "").replace("\r\n", "\n")
    return render(request, "messaging/_sms_count.html", {"length": sms_length(text)})


# -- settings ------------------------------------------------------------------------------------------------------


@login_required
def settings_page(request):
    require(request, "messaging.change_messagingsettings")
    instance = MessagingSettings.current()
    form = MessagingSettingsForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("The messaging settings are saved."))
        return redirect("messaging:settings")
    base = request.build_absolute_uri("/")[:-1]
    return render(request, "messaging/settings.html", {
        "form": form, "report_url": base + reverse("messaging-webhook", args=[instance.webhook_secret, "report"]),
        "incoming_url": base + reverse("messaging-webhook", args=[instance.webhook_secret, "incoming"])})
