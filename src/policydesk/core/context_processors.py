from .header import page_widgets
from .navigation import modes_for


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"nav_modes": modes_for(request), "page_widgets": page_widgets(user)}
