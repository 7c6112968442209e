from collections.abc import Iterable, Sequence
from typing import Any

from django.db.models import Model

def bulk_create_with_history[M: Model](
    objs: Iterable[M],
    model: type[M],
    batch_size: int | None = ...,
    ignore_conflicts: bool = ...,
    default_user: Any = ...,
    default_change_reason: str | None = ...,
    default_date: Any = ...,
    custom_historical_attrs: dict[str, Any] | None = ...,
) -> list[M]: ...
def bulk_update_with_history[M: Model](
    objs: Iterable[M],
    model: type[M],
    fields: Sequence[str],
    batch_size: int | None = ...,
    default_user: Any = ...,
    default_change_reason: str | None = ...,
    default_date: Any = ...,
    manager: Any = ...,
    custom_historical_attrs: dict[str, Any] | None = ...,
) -> int: ...
