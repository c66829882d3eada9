"""Mesa's ``Model`` and ``Agent`` imported without the rest of Mesa's package.

``import mesa`` loads everything Mesa has: its discrete spaces (SciPy's spatial module, NetworkX),
the batch runner (tqdm, asyncio) and ``mesa.experimental``'s continuous space (SciPy again),
about 0.4 s of CPU at every launch, none of which the model uses. :func:`import_mesa_core`
registers the packages ``mesa`` and ``mesa.experimental`` without running their ``__init__``,
imports ``mesa.model`` and ``mesa.agent`` (and what they need) through them, and sets
``mesa.Model`` and ``mesa.Agent``. The first use of any other name of either package (``mesa.DataCollector``,
``mesa.__version__``, ``from mesa.experimental import devs``) runs that package's ``__init__``
then, in the same module object: whoever needs the rest of Mesa gets it, with the same classes.

``mesa.agent`` and ``mesa.model`` import pandas (0.35 s of CPU) for methods the model never calls.
Unless pandas is loaded already, they are imported with a stand-in for it (:class:`_ImportedOnFirstUse`)
that imports pandas the first time one of its names is read, so a run (which writes its metrics
table without pandas) never pays for it; the stand-in leaves ``sys.modules`` once Mesa's core is
imported, so every other ``import pandas`` gets the real module.
"""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType

DEFERRED_PACKAGES = ("mesa", "mesa.experimental")  # their __init__ imports the parts the model does not use
STAND_IN_MODULES = ("pandas",)  # imported by Mesa's core for methods the model never calls


class _ImportedOnFirstUse(ModuleType):
    """A stand-in for a module not imported yet: reading one of its public names imports the module and returns that name.

    Dunder names (``__file__``, ``__path__``: what ``inspect`` and the import system probe) are not there.
    """

    def __getattr__(self, attribute: str) -> object:  # called only for names a bare module does not have
        if attribute.startswith("__"):
            raise AttributeError(attribute)
        if sys.modules.get(self.__name__) is self:
            del sys.modules[self.__name__]
        return getattr(importlib.import_module(self.__name__), attribute)


def _deferred_package(name: str) -> ModuleType:
    """Register the package ``name`` in ``sys.modules`` with its ``__init__`` not run yet: it runs on first use of a name."""
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        raise ImportError(f"no package {name}")
    package = importlib.util.module_from_spec(spec)

    def complete(attribute: str) -> object:  # the module's __getattr__: called only for names not set yet
        del package.__getattr__
        spec.loader.exec_module(package)
        return getattr(package, attribute)

    package.__getattr__ = complete
    sys.modules[name] = package
    return package


def import_mesa_core() -> None:
    """Import Mesa's ``Model`` and ``Agent`` alone, unless some of Mesa is imported already (then nothing to do)."""
    if "mesa" in sys.modules:
        return
    mesa = _deferred_package(DEFERRED_PACKAGES[0])
    for name in DEFERRED_PACKAGES[1:]:
        _deferred_package(name)
    stand_ins = {name: _ImportedOnFirstUse(name) for name in STAND_IN_MODULES if name not in sys.modules}
    sys.modules.update(stand_ins)
    try:
        from mesa.agent import Agent
        from mesa.model import Model
    except BaseException:  # leave no half-made package behind: a later `import mesa` starts afresh
        for name in (*DEFERRED_PACKAGES, "mesa.agent", "mesa.model"):
            sys.modules.pop(name, None)
        raise
    finally:
        for name, stand_in in stand_ins.items():
            if sys.modules.get(name) is stand_in:
                del sys.modules[name]
    mesa.Agent, mesa.Model = Agent, Model


import_mesa_core()  # importing this module is the point: first, before anything else imports Mesa
