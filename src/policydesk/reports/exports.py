"""The renewal report as an Excel workbook: the header, then each group with its rows and subtotal.

Written with openpyxl's write-only workbook, row by row, so that a whole agency's window of tens of
thousands of policies is exported in bounded memory.
"""

import io
import re

from django.utils import translation
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill

from policydesk.core import calendars
from policydesk.core.formatting import format_phone

from .selectors import RenewalGroup, RenewalSummary, ReportHeader

_BOLD = Font(bold=True)
_TITLE = Font(bold=True, size=13)
_GROUP_FILL = PatternFill("solid", fgColor="DDE4EE")
_TOTAL_FILL = PatternFill("solid", fgColor="F3F3F3")
_TOP = Alignment(vertical="top")
_WRAP = Alignment(vertical="top", wrap_text=True)
_WIDTHS = (22, 24, 30, 22, 8, 16, 22, 12, 12, 14, 8, 40)
_DATE_COLUMNS, _MONEY_COLUMN, _NOTES_COLUMN = (7, 8), 9, 11  # zero-based


class _Sheet:
    """Rows of styled write-only cells."""

    def __init__(self, sheet, calendar: str, digits: bool):
        self.sheet, self.calendar, self.digits = sheet, calendar, digits

    def date(self, value):
        """Gregorian dates as real dates (Excel sorts and filters them); Jalali ones as the text people read."""
        if value is None or self.calendar != calendars.JALALI:
            return value
        return calendars.format_date(value, self.calendar, self.digits)

    def append(self, values, *, font=None, fill=None, dates=(), money=None):
        cells = []
        for index, value in enumerate(values):
            cell = WriteOnlyCell(self.sheet, value=self.date(value) if index in dates else value)
            cell.alignment = _WRAP if index == _NOTES_COLUMN else _TOP
            if font is not None:
                cell.font = font
            if fill is not None:
                cell.fill = fill
            if index in dates and value is not None and self.calendar != calendars.JALALI:
                cell.number_format = "yyyy-mm-dd"
            if index == money:
                cell.number_format = "#,##0.00"
            cells.append(cell)
        self.sheet.append(cells)


def renewal_workbook(*, header: ReportHeader, groups: list[RenewalGroup], user, filters: list) -> bytes:
    calendar, digits = getattr(user, "calendar", calendars.GREGORIAN), getattr(user, "persian_digits", False)
    book = Workbook(write_only=True)
    raw = book.create_sheet(re.sub(r"[\[\]:*?/\\]", " ", str(header.title))[:31])
    raw.sheet_view.rightToLeft = bool(translation.get_language_bidi())
    for number, width in enumerate(_WIDTHS, start=1):
        raw.column_dimensions[chr(ord("A") + number - 1)].width = width
    sheet = _Sheet(raw, calendar, digits)
    sheet.append([str(header.title)], font=_TITLE)
    sheet.append([_("Printed by"), str(header.printed_by), _("Printed"),
                  calendars.format_datetime(header.printed_at, calendar, digits)])
    sheet.append([_("Unit"), header.unit, _("Scope"), header.scope])
    sheet.append([_("Window"), header.date_from, header.date_to, _("%(days)s days") % {"days": header.days}],
                 dates=(1, 2))
    for label, value in filters:
        sheet.append([str(label), str(value)])
    sheet.append([])
    date_label = _("Cancelled on") if header.kind == "cancelled" else _("Expires")
    sheet.append([_("Agent"), _("Line of business"), _("Policyholder"), _("Phones"), _("Series"), _("Policy number"),
                  _("Insurer"), _("Issued"), date_label, _("Premium"), _("Currency"), _("Notes")], font=_BOLD)
    for group in groups:
        agent, line = group.agent_name, str(group.line)
        sheet.append([agent, line], font=_BOLD, fill=_GROUP_FILL)
        for row in group.rows:
            sheet.append([agent, line, row.policyholder, ", ".join(format_phone(p) for p in row.phones), row.series,
                          row.number, row.insurer, row.issue_date, row.key_date, row.premium, row.currency,
                          row.remark], dates=_DATE_COLUMNS, money=_MONEY_COLUMN)
        for currency, amount in group.premium or [("", 0)]:
            sheet.append([_("Subtotal"), line, _("%(count)s policies") % {"count": group.count},
                          None, None, None, None, None, None, amount, currency],
                         font=_BOLD, fill=_TOTAL_FILL, money=_MONEY_COLUMN)
    summary = RenewalSummary(groups)
    for currency, amount in summary.premium or [("", 0)]:
        sheet.append([_("Total"), None, _("%(count)s policies") % {"count": summary.count}, None, None, None, None,
                      None, None, amount, currency], font=_BOLD, money=_MONEY_COLUMN)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
