from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "policydesk.accounts"
    label = "accounts"
    verbose_name = _("Users and access")

    def ready(self):
        from .choices import Role
        from .roles import grant, model_permissions, sync_roles

        everyone = list(Role)
        grant(everyone, "accounts.view_department", "accounts.view_user")
        grant([Role.ADMINISTRATOR], *model_permissions("accounts", "department"), *model_permissions("accounts", "user"))
        grant([Role.AUDITOR], "accounts.view_historicaluser", "accounts.view_historicaldepartment")
        # Bootstrapping data after migrate is how Django itself creates permissions; it runs after
        # each app so that the permissions of apps migrated later are granted too.
        post_migrate.connect(sync_roles, dispatch_uid="policydesk_sync_roles")
