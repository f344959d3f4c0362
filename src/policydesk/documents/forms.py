from django import forms
from django.utils.translation import gettext_lazy as _

from policydesk.core.forms import BootstrapMixin

from .models import PrintTemplate
from .samples import sample_context
from .services import DocumentTemplateError, render_body


class PrintTemplateForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = PrintTemplate
        fields = ["kind", "language", "name", "body", "is_active"]
        widgets = {"body": forms.Textarea(attrs={"rows": 24, "dir": "ltr", "spellcheck": "false",
                                                 "class": "font-monospace small"})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["language"].choices = [("", _("any language"))] + list(self.fields["language"].choices)[1:]

    def clean(self):
        data = super().clean()
        body, kind = data.get("body"), data.get("kind")
        if body and kind:
            # Render with sample data now, so that a broken template is caught here and not when an agent prints.
            try:
                render_body(body, sample_context(kind), language=data.get("language") or "en",
                            name=data.get("name") or "")
            except DocumentTemplateError as exc:
                self.add_error("body", exc.message)
        return data
