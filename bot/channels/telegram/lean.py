"""Lets aiogram build its pydantic schemas when a type is first used, not all at import.

aiogram 3.31 declares its ~600 types with defer_build=True, then calls model_rebuild()
on every one of them at import, which builds them all anyway: importing aiogram costs
about 150 MB of RSS and 1.5 s. Ustaz uses a few dozen of them. Until aiogram is
imported, model_rebuild() of aiogram's own types only collects the forward-reference
namespace they pass; the first validation of a type builds it with that namespace.
The result: about 60 MB at import. Nothing changes if aiogram was imported before this.
"""

from __future__ import annotations

import sys
from typing import Any

from pydantic import BaseModel

_NAMESPACE: dict[str, Any] = {}
_AIOGRAM = ("aiogram.types", "aiogram.methods")


def install() -> None:
    if "aiogram" in sys.modules or getattr(BaseModel.model_rebuild, "_ustaz_lazy", False):
        return
    original = BaseModel.model_rebuild.__func__  # type: ignore[attr-defined]

    def model_rebuild(
        cls: type[BaseModel],
        *,
        force: bool = False,
        raise_errors: bool = True,
        _parent_namespace_depth: int = 2,
        _types_namespace: Any = None,
    ) -> bool | None:
        if cls.__module__.startswith(_AIOGRAM):
            if _types_namespace is not None and not force and "aiogram" not in _NAMESPACE:
                _NAMESPACE.update(_types_namespace)  # aiogram's import-time pass: keep the names, build later
                return None
            if _NAMESPACE:
                _types_namespace = {**_NAMESPACE, **(_types_namespace or {})}
        return original(
            cls,
            force=force,
            raise_errors=raise_errors,
            _parent_namespace_depth=_parent_namespace_depth + 1,
            _types_namespace=_types_namespace,
        )

    model_rebuild._ustaz_lazy = True  # type: ignore[attr-defined]
    BaseModel.model_rebuild = classmethod(model_rebuild)  # type: ignore[assignment, method-assign]
    import aiogram  # noqa: F401  (the import-time pass runs now, under the patch)

    _NAMESPACE["aiogram"] = True  # from here on every rebuild is a real one, with aiogram's names
