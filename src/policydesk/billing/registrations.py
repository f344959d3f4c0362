"""What the billing app plugs into the shared registries: role permissions, card tabs, menu, and
the insurance signals it listens to."""

from django.utils.translation import gettext_lazy as _

from policydesk.accounts.choices import Role
from policydesk.accounts.roles import grant
from policydesk.core.indicators import register_indicators
from policydesk.core.navigation import register_menu_item
from policydesk.core.tabs import CardTab, register_card_tab
from policydesk.core.timeline import TimelineSource, register_timeline_source
from policydesk.insurance.signals import policy_issued

from .selectors import client_money_indicators, payment_timeline
from .services import policy_issued_installment
from .views import POLICY_TAB, client_payments_context, policy_money_context

EVERY_ROLE = list(Role)
CASHIERS = [Role.AGENT, Role.TEAM_LEAD, Role.SERVICE_OPERATOR, Role.ACCOUNTANT]
MONEY_MODELS = ["installment", "payment", "paymentinstrument", "allocation"]

grant(EVERY_ROLE, *[f"billing.view_{m}" for m in MONEY_MODELS])
# Recording money: schedules, payments, and what the bank says of a check (cleared or bounced).
grant(CASHIERS, "billing.add_installment", "billing.change_installment", "billing.add_payment",
      "billing.add_allocation", "billing.change_paymentinstrument")
# Reversing a payment undoes money already counted: the team lead's or the accountant's call.
grant([Role.TEAM_LEAD, Role.ACCOUNTANT], "billing.change_payment")
grant([Role.AGENT, Role.TEAM_LEAD, Role.ACCOUNTANT, Role.AUDITOR], "billing.export_payment")
grant([Role.TEAM_LEAD, Role.ACCOUNTANT, Role.AUDITOR], "billing.view_commissionreceipt",
      "billing.view_commissionallocation")
grant([Role.ACCOUNTANT], "billing.add_commissionreceipt", "billing.add_commissionallocation")
grant([Role.AUDITOR, Role.TEAM_LEAD, Role.ACCOUNTANT], "billing.view_historicalpayment",
      "billing.view_historicalpaymentinstrument", "billing.view_historicalinstallment")

register_card_tab("insurance.policy", CardTab(
    slug=POLICY_TAB, label=_("Installments and payments"), template="billing/tabs/policy_money.html", weight=300,
    permission="billing.view_payment", context=policy_money_context,
))
register_card_tab("clients.client", CardTab(
    slug="payments", label=_("Payments"), template="billing/tabs/client_payments.html", weight=400,
    permission="billing.view_payment", context=client_payments_context,
))

register_timeline_source(TimelineSource("payments", _("Payments"), payment_timeline,
                                        permission="billing.view_payment", by_payment=True, weight=40))

register_indicators("clients.client", client_money_indicators, permission="billing.view_installment", weight=20)

register_menu_item("policies", _("Payments"), "billing:payment_list", "billing.view_payment")
register_menu_item("policies", _("Overdue installments"), "billing:overdue_list", "billing.view_installment")
register_menu_item("policies", _("Checks and notes"), "billing:instrument_list", "billing.view_paymentinstrument")
register_menu_item("policies", _("Commission"), "billing:commission_list", "billing.view_commissionreceipt")
register_menu_item("policies", _("Commission reconciliation"), "billing:reconciliation",
                   "billing.view_commissionreceipt")


def _installment_on_issue(sender, *, policy, actor, **kwargs):
    policy_issued_installment(actor=actor, policy=policy)


policy_issued.connect(_installment_on_issue, dispatch_uid="billing.installment_on_issue")
