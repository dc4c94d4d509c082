"""
## What it does
Finds deserializers that can build arbitrary objects: `pickle.loads()`/`load()`, `dill`,
`marshal`, `jsonpickle.decode()`, `shelve.open()`, `pandas.read_pickle()`, and `yaml.load()`
without a safe `Loader` (no `Loader`, or `Loader`, `FullLoader`, `UnsafeLoader`) or
`yaml.unsafe_load()`. Calls fed with what a client sent (a body, an upload, a cookie, a
body field) are critical; every other call is reported with a lower severity, since the data
may reach it later (a cache, a queue, a file written by a client), except `shelve` stores
and database migrations.

## Why is this bad?
Unpickling runs code chosen by whoever wrote the bytes (`__reduce__`), and YAML's Python
tags (`!!python/object/apply`) do the same: data becomes remote code execution (CWE-502).

## Known problems
Data that is trusted by design (a file the deployment ships) is still reported at low
severity; suppress with `# apismith: ignore[SEC009]` after checking. A `Loader` that cannot be
resolved is assumed safe.

## Example
```python
import pickle

from fastapi import FastAPI, Request

app = FastAPI()


@app.post("/import")
async def import_data(request: Request):
    return {"items": pickle.loads(await request.body())}
```

## Use instead
```python
import json

from fastapi import FastAPI, Request

app = FastAPI()


@app.post("/import")
async def import_data(request: Request):
    return {"items": json.loads(await request.body())}
```

## Fix safety
No automatic fix: use a data-only format (`json`, `yaml.safe_load()`, pydantic models), or
sign serialized data with a server secret and check the signature before loading it.

## References
- https://cwe.mitre.org/data/definitions/502.html
- https://docs.python.org/3/library/pickle.html
- https://pyyaml.org/wiki/PyYAMLDocumentation
"""

from __future__ import annotations

import ast
from collections.abc import Iterable

from apismith.analysis.sinks import DESERIALIZE, DESERIALIZERS
from apismith.analysis.taint import resolve_in
from apismith.findings import Confidence, Severity
from apismith.project.module import Module
from apismith.rules.base import Report, Rule
from apismith.rules.context import Context

OBJECT_LOADERS = frozenset(DESERIALIZERS.split()) | {"yaml.unsafe_load", "yaml.unsafe_load_all"}
YAML_LOADS = frozenset({"yaml.load", "yaml.load_all"})
# Persistent stores the application keeps for itself: reported only when the client names them.
FILE_STORES = frozenset({"shelve.open", "joblib.load"})
UNSAFE_LOADERS = frozenset(
    f"yaml.{prefix}{name}"
    for prefix in ("", "C")
    for name in ("Loader", "FullLoader", "UnsafeLoader")
) | {f"yaml.loader.{name}" for name in ("Loader", "FullLoader", "UnsafeLoader")}


class UnsafeDeserialization(Rule):
    id = "SEC009"
    name = "unsafe-deserialization"
    family = "security"
    severity = Severity.CRITICAL
    confidence = Confidence.HIGH
    cwe = 502
    shares = "taint"
    fix_title = (
        "Use a data-only format (`json`, `yaml.safe_load()`, a pydantic model) or check a "
        "signature before loading."
    )
    requires = ()

    def check_module(self, module: Module, context: Context) -> Iterable[Report]:
        hits = {id(hit.node): hit for hit in context.hits(DESERIALIZE)}
        for call, owner in module.index.calls:
            callee = resolve_in(context.project, module, owner, call.func)
            if callee in YAML_LOADS:
                loader = _loader(call)
                if loader is not None and not _unsafe_loader(context, module, loader):
                    continue
            elif callee not in OBJECT_LOADERS:
                continue
            what = f"`{callee}()`" + (f" in `{owner.name}()`" if owner else "")
            hit = hits.get(id(call))
            if hit is not None:
                sources = ", ".join(f"`{source}`" for source in hit.sources)
                message = f"{what} builds objects from {sources}"
                if hit.via:
                    message += f" (through the call at {hit.via[0]})"
                yield Report(module, call, message)
            elif callee not in FILE_STORES and not _migration(module):
                yield Report(
                    module,
                    call,
                    f"{what} can build arbitrary objects: make sure its data never comes "
                    "from a client",
                    severity=Severity.MEDIUM,
                    confidence=Confidence.MEDIUM,
                )


def _migration(module: Module) -> bool:
    """Database migrations run once, by the operator, on data the application wrote."""
    return any(part in {"migrations", "alembic"} for part in module.relpath.split("/")[:-1])


def _loader(call: ast.Call) -> ast.expr | None:
    if len(call.args) > 1:
        return call.args[1]
    return next((k.value for k in call.keywords if k.arg == "Loader"), None)


def _unsafe_loader(context: Context, module: Module, loader: ast.expr, depth: int = 0) -> bool:
    """Whether a YAML ``Loader`` builds Python objects; unknown loaders are taken as safe."""
    name = context.project.resolve(module, loader)
    if name in UNSAFE_LOADERS:
        return True
    found = context.project.lookup(name) if name and depth < 10 else None
    if found is None:
        return False
    owner, definition = found
    return isinstance(definition, ast.ClassDef) and any(
        _unsafe_loader(context, owner, base, depth + 1) for base in definition.bases
    )
