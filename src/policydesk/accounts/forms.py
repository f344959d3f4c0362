from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from policydesk.core.forms import BootstrapMixin

from .models import User


class LoginForm(BootstrapMixin, AuthenticationForm):
    pass


# Keys of User.preferences that the preferences page sets (the diary reads this one).
REMIND_BY_EMAIL = "diary.remind_by_email"


class PreferencesForm(BootstrapMixin, forms.ModelForm):
    remind_by_email = forms.BooleanField(
        label=_("Send my notifications by email too"), required=False,
        help_text=_("Reminders, tasks assigned to you, claim news and escalated requests always appear under the "
                    "bell; this also emails them to the address above."))

    class Meta:
        model = User
        fields = ["first_name", "last_name", "email", "language", "calendar", "persian_digits"]
        labels = {"persian_digits": _("Show Persian digits (۱۲۳)")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["remind_by_email"].initial = bool((self.instance.preferences or {}).get(REMIND_BY_EMAIL))

    def clean(self):
        data = super().clean()
        if data.get("remind_by_email") and not data.get("email"):
            self.add_error("email", _("Give an email address to receive notifications by email."))
        return data

    def save(self, commit=True):
        self.instance.preferences = {**(self.instance.preferences or {}),
                                     REMIND_BY_EMAIL: bool(self.cleaned_data.get("remind_by_email"))}
        return super().save(commit)
