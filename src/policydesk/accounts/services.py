from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from policydesk.core.errors import ApplicationError
from policydesk.core.services import service

from .choices import Role
from .models import Department, User
from .roles import role_group


@service
def user_create(
    *, actor, username: str, password: str, role: str, first_name: str = "", last_name: str = "", email: str = "",
    department: Department | None = None, head: User | None = None, level: str = "regular", language: str = "",
    calendar: str = "gregorian", check_password: bool = True,
) -> User:
    if role not in Role.values:
        raise ApplicationError(_("Unknown role."), errors={"role": [_("Choose one of: %(roles)s") % {"roles": ", ".join(Role.values)}]})
    if User.objects.filter(username=username).exists():
        raise ApplicationError(_("This username is taken."), errors={"username": [_("This username is taken.")]})
    user = User(username=username, first_name=first_name, last_name=last_name, email=email, department=department,
                head=head, level=level, language=language, calendar=calendar)
    if check_password:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise ApplicationError(_("The password is too weak."), errors={"password": exc.messages}) from None
    user.set_password(password)
    if role == Role.ADMINISTRATOR:
        user.is_staff = True
        user.is_superuser = True
    try:
        user.full_clean(exclude=["password"])
    except ValidationError as exc:
        raise ApplicationError(_("Please correct the errors below."), errors=exc.message_dict) from None
    user.save()
    user.groups.add(role_group(role))
    return user
