"""
## What it does
Finds shell commands built from what a client sent and run by `os.system`, `os.popen`,
`subprocess` with `shell=True`, or `asyncio.create_subprocess_shell`, and list commands whose
program (or the command after `sh -c`) comes from the client. The flow is followed through
f-strings, `%`, `.format()`, concatenation, dependencies, background tasks, `functools.partial`
and lambda wrappers, objects that keep the command on `self`, and the project's own helpers;
`cmd.split()` or `shlex.split(cmd)` handed to `subprocess` without a shell lets the client
pick the program. `shlex.quote()`, an allow-list check and an anchored regular expression
without wildcards make a value safe, as does `re.sub()` that keeps only letters, digits and
harmless punctuation.

## Why is this bad?
The shell interprets `;`, `|`, `$(...)` and backticks in the value: the client runs any
command it likes with the server's privileges (CWE-78).

## Known problems
A check made in another function than the one that builds the command is still reported;
suppress with `# apismith: ignore[SEC002]` after checking. Arguments the client adds after a
fixed program (option injection) are not reported.

## Example
```python
import subprocess

from fastapi import FastAPI

app = FastAPI()


@app.get("/lookup")
def lookup(domain: str):
    return subprocess.run(f"nslookup {domain}", shell=True, capture_output=True).stdout
```

## Use instead
```python
import subprocess

from fastapi import FastAPI

app = FastAPI()


@app.get("/lookup")
def lookup(domain: str):
    return subprocess.run(["nslookup", domain], capture_output=True).stdout
```

## Fix safety
No automatic fix: the command must be rewritten as an argument list without a shell.

## References
- https://cwe.mitre.org/data/definitions/78.html
- https://docs.python.org/3/library/subprocess.html#security-considerations
"""

from __future__ import annotations

from collections.abc import Iterable

from apismith.analysis.sinks import COMMAND
from apismith.findings import Confidence, Severity
from apismith.rules.base import Report, Rule
from apismith.rules.context import Context
from apismith.rules.taint_rule import taint_reports


class CommandInjection(Rule):
    id = "SEC002"
    name = "command-injection"
    family = "security"
    severity = Severity.CRITICAL
    confidence = Confidence.HIGH
    cwe = 78
    shares = "taint"
    fix_title = (
        "Pass an argument list without `shell=True` (or `shlex.quote()` each value), "
        "and never let the client choose the program."
    )

    def check_project(self, context: Context) -> Iterable[Report]:
        return taint_reports(context, COMMAND, "command built from {sources} is executed")
