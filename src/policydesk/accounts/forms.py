from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from policydesk.core.forms import BootstrapMixin

from .models import User


class LoginForm(BootstrapMixin, AuthenticationForm):
    pass


class PreferencesForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = User
        fields = ["first_name", "last_name", "email", "language", "calendar", "persian_digits"]
        labels = {"persian_digits": _("Show Persian digits (۱۲۳)")}
