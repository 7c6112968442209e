from typing import Any, TypeVar

from django.contrib.admin import ModelAdmin
from django.db.models import Model

_M = TypeVar("_M", bound=Model)

class SimpleHistoryAdmin(ModelAdmin[_M]):
    def __getattr__(self, name: str) -> Any: ...
