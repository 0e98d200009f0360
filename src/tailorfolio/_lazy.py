"""Lazy package exports (PEP 562): a package names what it exports and where each name lives;
the defining module is imported the first time the name is used.

This keeps ``import tailorfolio`` (and so ``tailorfolio --help``) from importing the numeric
stack (cvxpy, pandas, scipy, scikit-learn) until something needs it, while every public name
stays importable as before (``from tailorfolio import plan``, ``tailorfolio.Market``).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(package: str, exports: Mapping[str, str], namespace: dict[str, Any]
                 ) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The module ``__getattr__`` and ``__dir__`` of ``package``.

    Parameters
    ----------
    package : str
        The package's ``__name__`` (for the error message).
    exports : mapping of str to str
        Exported name → the module that defines it (absolute dotted path), or
        ``"module:attribute"`` when the package exports the object under another name.
    namespace : dict
        The package's ``globals()``: a name, once imported, is stored there, so later lookups
        are ordinary attribute access.

    Returns
    -------
    (__getattr__, __dir__)
    """

    def __getattr__(name: str) -> Any:
        target = exports.get(name)
        if target is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module, _, attribute = target.partition(":")
        value = getattr(importlib.import_module(module), attribute or name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted({*namespace, *exports})

    return __getattr__, __dir__
