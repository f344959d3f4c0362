"""The loss ledger: the figures behind the loss ratios of the whole book, kept day by day, so that a
loss ratio by agent, product or line for any period reads a few thousand rows instead of every policy
and claim (claims/ledger.py explains the arithmetic).

Derived data, never edited by hand: the services keep it (a policy or a claim changed), and
``policydesk loss_ledger --rebuild`` makes it again from the policies and claims.
"""

from django.db import models

PRECISE = {"max_digits": 34, "decimal_places": 14}
MONEY = {"max_digits": 18, "decimal_places": 2}


class LedgerFigures(models.Model):
    """What one group of policies (an agent's, a product's or a line's, of one curator's clients, in
    one currency) adds from a day (or a month) on."""

    dimension = models.CharField(max_length=10)  # "agent", "product" or "line"
    key = models.IntegerField()  # the agent's, product's or line's id; 0: none
    curator = models.IntegerField()  # the clients' curator (the scope); 0: none
    currency = models.CharField(max_length=3)
    # Earned premium up to a day t (t counted in days from ledger.EPOCH) is t × Σ rate + Σ base.
    rate = models.DecimalField(default=0, **PRECISE)
    base = models.DecimalField(default=0, **PRECISE)
    paid = models.DecimalField(default=0, **MONEY)
    reserves = models.DecimalField(default=0, **MONEY)
    claims = models.IntegerField(default=0)

    class Meta:
        abstract = True


class LedgerDay(LedgerFigures):
    day = models.DateField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["dimension", "day", "key", "curator", "currency"],
                                               name="claims_ledgerday_unique")]

    def __str__(self):
        return f"{self.dimension} {self.key} {self.curator} {self.currency} {self.day}"


class LedgerMonth(LedgerFigures):
    month = models.DateField()  # the first day of the month: the sum of its days

    class Meta:
        constraints = [models.UniqueConstraint(fields=["dimension", "month", "key", "curator", "currency"],
                                               name="claims_ledgermonth_unique")]

    def __str__(self):
        return f"{self.dimension} {self.key} {self.curator} {self.currency} {self.month}"


class LedgerEntry(models.Model):
    """What one policy or one claim has put into the ledger, so that a change takes exactly that out
    before putting the new figures in: its group, and the facts its figures follow from."""

    source = models.CharField(max_length=10)  # "policy" or "claim"
    source_id = models.BigIntegerField()
    curator = models.IntegerField()
    agent = models.IntegerField()
    product = models.IntegerField()
    line = models.IntegerField()
    currency = models.CharField(max_length=3)
    # A policy: its cover (start to the end or the cancellation), its term in days, its premium.
    start = models.DateField(null=True)
    cover_end = models.DateField(null=True)
    term_days = models.IntegerField(null=True)
    premium = models.DecimalField(null=True, **MONEY)
    # A claim: its event date, the reserve still outstanding, whether it counts (not archived), and
    # its payouts by day ({"2026-03-20": "270.00"}).
    event_date = models.DateField(null=True)
    reserves = models.DecimalField(default=0, **MONEY)
    counted = models.BooleanField(default=False)
    paid = models.JSONField(default=dict)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["source", "source_id"], name="claims_ledgerentry_unique")]

    def __str__(self):
        return f"{self.source} {self.source_id}"
