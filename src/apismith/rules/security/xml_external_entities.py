"""
## What it does
Finds XML documents a client sent (a body, an upload, a body field) parsed by
`xml.etree.ElementTree`, `xml.dom.minidom`, `xml.sax` or `lxml`, unless an lxml parser with
`resolve_entities=False` is passed; and every lxml `XMLParser(resolve_entities=True)`.
`defusedxml` is not reported.

## Why is this bad?
Entities declared in the document make the parser read local files
(`<!ENTITY x SYSTEM "file:///etc/passwd">`), fetch internal URLs, or expand exponentially
and exhaust memory (XML external entities, CWE-611). How much of this each parser allows
depends on its version and options; `defusedxml` refuses all of it.

## Known problems
The standard library parsers do not fetch external entities by default but still expand
internal ones; they are reported so that `defusedxml` is used for untrusted input.

## Example
```python
import xml.etree.ElementTree as ET

from fastapi import FastAPI, Request

app = FastAPI()


@app.post("/orders")
async def import_orders(request: Request):
    root = ET.fromstring(await request.body())
    return {"orders": len(root)}
```

## Use instead
```python
import defusedxml.ElementTree as ET
from fastapi import FastAPI, Request

app = FastAPI()


@app.post("/orders")
async def import_orders(request: Request):
    root = ET.fromstring(await request.body())
    return {"orders": len(root)}
```

## Fix safety
No automatic fix: switch to the `defusedxml` equivalent (same API), or pass an lxml parser
with `resolve_entities=False, no_network=True`.

## References
- https://cwe.mitre.org/data/definitions/611.html
- https://docs.python.org/3/library/xml.html#xml-vulnerabilities
- https://pypi.org/project/defusedxml/
"""

from __future__ import annotations

import ast
from collections.abc import Iterable

from apismith.analysis.sinks import XML
from apismith.analysis.taint import resolve_in
from apismith.findings import Confidence, Severity
from apismith.project.module import Module
from apismith.rules.base import Report, Rule
from apismith.rules.context import Context

PARSERS = frozenset({"lxml.etree.XMLParser", "lxml.etree.XMLPullParser"})


class XmlExternalEntities(Rule):
    id = "SEC027"
    name = "xml-external-entities"
    family = "security"
    severity = Severity.HIGH
    confidence = Confidence.HIGH
    cwe = 611
    shares = "taint"
    fix_title = (
        "Parse untrusted XML with `defusedxml`, or an lxml parser created with "
        "`resolve_entities=False, no_network=True`."
    )
    requires = ()

    def check_module(self, module: Module, context: Context) -> Iterable[Report]:
        hits = {id(hit.node): hit for hit in context.hits(XML)}
        for call, owner in module.index.calls:
            where = f" in `{owner.name}()`" if owner else ""
            hit = hits.get(id(call))
            if hit is not None:
                if _parser_refuses_entities(context, module, call):
                    continue
                sources = ", ".join(f"`{source}`" for source in hit.sources)
                message = f"`{ast.unparse(call.func)}()`{where} parses XML from {sources}"
                if hit.via:
                    message += f" (through the call at {hit.via[0]})"
                yield Report(module, call, message)
            elif (
                _resolves_entities(call)
                and resolve_in(context.project, module, owner, call.func) in PARSERS
            ):
                name = next(
                    (
                        f" `{ast.unparse(assign.targets[0])}`"
                        for assign, _ in module.index.assigns
                        if isinstance(assign, ast.Assign) and assign.value is call
                    ),
                    "",
                )
                yield Report(module, call, f"lxml parser{name}{where} resolves external entities")


def _resolves_entities(call: ast.Call) -> bool:
    return any(
        k.arg == "resolve_entities" and isinstance(k.value, ast.Constant) and k.value.value is True
        for k in call.keywords
    )


def _parser_refuses_entities(context: Context, module: Module, call: ast.Call) -> bool:
    """Whether the call is given an lxml parser built with ``resolve_entities=False``."""
    parser = next((k.value for k in call.keywords if k.arg == "parser"), None)
    if parser is None and len(call.args) > 1:
        parser = call.args[1]
    built = module.bindings.get(parser.id) if isinstance(parser, ast.Name) else parser
    if not isinstance(built, ast.Call):
        return False
    return any(
        k.arg == "resolve_entities" and isinstance(k.value, ast.Constant) and k.value.value is False
        for k in built.keywords
    )
