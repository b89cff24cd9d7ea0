"""Modules loaded on first use. Every Lambda function of a Chalice app imports `app.py`; with the
services behind `lazy(...)`, a function loads only the services it calls (a task that screens a
name never loads the export packager), and the API handler loads each on its first request."""
from __future__ import annotations

import importlib
import threading
from types import ModuleType
from typing import Any

_lock = threading.Lock()


class LazyModule:
    """Stands for the module `name` until an attribute is read, then is that module's attribute."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._module: ModuleType | None = None

    def _load(self) -> ModuleType:
        if self._module is None:
            with _lock:  # import_module is itself thread-safe; the lock only keeps this tidy
                self._module = importlib.import_module(self._name)
        return self._module

    def __getattr__(self, attr: str) -> Any:
        return getattr(self._load(), attr)

    def __repr__(self) -> str:
        return f"<lazy module {self._name!r}{' (loaded)' if self._module else ''}>"


def lazy(name: str) -> Any:
    """The module `name`, imported when first used (typed Any: it is used as the module)."""
    return LazyModule(name)
