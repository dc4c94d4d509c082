"""
## What it does
Finds template source code built from what a client sent and compiled by
`jinja2.Template(...)`, `Environment().from_string(...)` (also through
`Jinja2Templates.env`) or `mako.template.Template(...)`. Passing client values as render
variables (`Template("Hello {{ name }}").render(name=name)`) is fine and not reported, nor
is a `SandboxedEnvironment`.

## Why is this bad?
Template syntax is code: `{{ ''.__class__.__mro__[1].__subclasses__() }}` and friends reach
Python objects and run commands on the server (server-side template injection, CWE-1336).
HTML escaping does not help, it leaves `{{ }}` intact.

## Known problems
Templates chosen by name (`get_template(name)`) are not followed.

## Example
```python
import jinja2
from fastapi import FastAPI

app = FastAPI()


@app.get("/greet")
def greet(name: str):
    return {"html": jinja2.Template("<h1>Hello " + name + "</h1>").render()}
```

## Use instead
```python
import jinja2
from fastapi import FastAPI

app = FastAPI()


@app.get("/greet")
def greet(name: str):
    return {"html": jinja2.Template("<h1>Hello {{ name }}</h1>").render(name=name)}
```

## Fix safety
No automatic fix: keep the template constant and pass the client's values as variables, or
render client-written templates in a `SandboxedEnvironment`.

## References
- https://cwe.mitre.org/data/definitions/1336.html
- https://jinja.palletsprojects.com/en/stable/sandbox/
"""

from __future__ import annotations

from collections.abc import Iterable

from apismith.analysis.sinks import TEMPLATE
from apismith.findings import Confidence, Severity
from apismith.rules.base import Report, Rule
from apismith.rules.context import Context
from apismith.rules.taint_rule import taint_reports


class TemplateInjection(Rule):
    id = "SEC006"
    name = "template-injection"
    family = "security"
    severity = Severity.CRITICAL
    confidence = Confidence.HIGH
    cwe = 1336
    shares = "taint"
    fix_title = (
        "Keep the template source constant and pass client values as render variables, "
        "or use a `SandboxedEnvironment`."
    )

    def check_project(self, context: Context) -> Iterable[Report]:
        return taint_reports(context, TEMPLATE, "template source built from {sources}")
