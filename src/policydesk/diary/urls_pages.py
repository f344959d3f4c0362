from django.http import Http404
from django.urls import path


def _todo(request, pk):  # replaced by the pages' views
    raise Http404


urlpatterns: list = [
    path("interactions/<int:pk>/", _todo, name="interaction"),
    path("tasks/<int:pk>/", _todo, name="task"),
    path("cases/<int:pk>/", _todo, name="case"),
]
