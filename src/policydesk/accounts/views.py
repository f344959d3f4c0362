from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from rest_framework.authtoken.models import Token

from .forms import LoginForm, PreferencesForm


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


@login_required
def preferences(request):
    form = PreferencesForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        if user.language:
            translation.activate(user.language)
        messages.success(request, _("Your preferences are saved."))
        response = redirect("accounts:preferences")
        if user.language:
            from django.conf import settings

            response.set_cookie(settings.LANGUAGE_COOKIE_NAME, user.language, samesite="Lax")
        return response
    token = Token.objects.filter(user=request.user).first()
    return render(request, "accounts/preferences.html", {"form": form, "token": token})


@login_required
@require_POST
def set_language(request):
    """The header's language switch: remembered on the user, not just in a cookie."""
    from django.conf import settings

    code = request.POST.get("language", "")
    if code in dict(settings.LANGUAGES):
        request.user.language = code
        if code == "fa" and request.user.calendar == "gregorian" and "calendar" not in request.POST:
            request.user.calendar = "jalali"
        request.user.save(update_fields=["language", "calendar"])
        translation.activate(code)
    from policydesk.core.views import redirect_back

    response = redirect_back(request, "/")
    response.set_cookie(settings.LANGUAGE_COOKIE_NAME, code, samesite="Lax")
    return response


@login_required
@require_POST
def api_token(request):
    Token.objects.filter(user=request.user).delete()
    Token.objects.create(user=request.user)
    messages.success(request, _("A new API token was issued; the old one no longer works."))
    return redirect("accounts:preferences")
