"""The built-in roles: groups, their scopes and their permissions.

Each app declares what each role may do with its models (in AppConfig.ready()); ``sync_roles``
creates or updates the groups after every migrate. Administrators may add permissions to a role;
the sync only adds what is missing, it never takes away what an administrator granted.
"""

from django.contrib.auth.models import Group, Permission

from .choices import Role, Scope

ROLE_SCOPES = {
    Role.AGENT: Scope.OWN,
    Role.TEAM_LEAD: Scope.DEPARTMENT,
    Role.MARKETING: Scope.ALL,
    Role.SERVICE_OPERATOR: Scope.ALL,
    Role.CLAIMS_HANDLER: Scope.ALL,
    Role.ACCOUNTANT: Scope.ALL,
    Role.ADMINISTRATOR: Scope.ALL,
    Role.AUDITOR: Scope.ALL,
}

_ROLE_PERMISSIONS: dict[str, set[str]] = {role: set() for role in Role}


def grant(roles, *permissions: str) -> None:
    """Declare that each of ``roles`` gets ``permissions`` ("app_label.codename")."""
    for role in roles:
        _ROLE_PERMISSIONS[role].update(permissions)


def model_permissions(app_label: str, model: str, actions=("view", "add", "change", "delete")) -> list[str]:
    return [f"{app_label}.{action}_{model}" for action in actions]


def role_permissions(role: str) -> set[str]:
    return set(_ROLE_PERMISSIONS[role])


def sync_roles(**kwargs) -> None:
    from .models import RoleProfile

    for role in Role:
        group, _created = Group.objects.get_or_create(name=str(role.label))
        profile, created = RoleProfile.objects.get_or_create(
            code=role.value, defaults={"group": group, "scope": ROLE_SCOPES[role]}
        )
        if not created and profile.group_id != group.pk:
            group = profile.group
        wanted = _ROLE_PERMISSIONS[role]
        if role == Role.ADMINISTRATOR:
            perms = Permission.objects.all()
        else:
            perms = [p for p in Permission.objects.select_related("content_type")
                     if f"{p.content_type.app_label}.{p.codename}" in wanted]
        group.permissions.add(*perms)


def role_group(role: str) -> Group:
    from .models import RoleProfile

    return RoleProfile.objects.select_related("group").get(code=role).group
