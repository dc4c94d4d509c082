"""
## What it does
Finds file-system paths built from what a client sent and passed to `open()`,
`aiofiles.open()`, `FileResponse`, `Path.read_text()` and the other `pathlib` file methods,
`os.remove()`, `os.listdir()` or `shutil`, including `os.path.join(BASE, name)` and
`BASE / name`. Uploaded files' `filename` counts as client data. A value is safe once reduced
to its last component (`os.path.basename()`, `Path(x).name`, `secure_filename()`), once
checked against an allow-list or an anchored regular expression, or once `re.sub()` has left
no `/` or `\\` in it; a function that checks the resolved path (`is_relative_to()`,
`commonpath()`, a `realpath()` prefix test) is trusted. A tar archive the client sent and
`extractall()` without a `filter` is reported too (its member names are paths).

## Why is this bad?
`../` sequences or an absolute path let the client read, overwrite or delete any file the
server can reach: configuration, keys, other users' data (CWE-22).

## Known problems
A check done in another function than the one that opens the file is not seen; suppress with
`# apismith: ignore[SEC003]` after checking. Path parameters cannot contain `/` unless
declared `{name:path}`, but `..` alone still reaches the parent directory.

## Example
```python
import os

from fastapi import FastAPI
from fastapi.responses import FileResponse

app = FastAPI()


@app.get("/reports")
def download_report(name: str):
    return FileResponse(os.path.join("/srv/reports", name))
```

## Use instead
```python
import os

from fastapi import FastAPI
from fastapi.responses import FileResponse

app = FastAPI()


@app.get("/reports")
def download_report(name: str):
    return FileResponse(os.path.join("/srv/reports", os.path.basename(name)))
```

## Fix safety
No automatic fix: keep only the file name, or resolve the path and check that it stays
inside the base directory.

## References
- https://cwe.mitre.org/data/definitions/22.html
- https://owasp.org/www-community/attacks/Path_Traversal
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import chain

from apismith.analysis.sinks import ARCHIVE, PATH
from apismith.findings import Confidence, Severity
from apismith.rules.base import Report, Rule
from apismith.rules.context import Context
from apismith.rules.taint_rule import taint_reports


class PathTraversal(Rule):
    id = "SEC003"
    name = "path-traversal"
    family = "security"
    severity = Severity.HIGH
    confidence = Confidence.HIGH
    cwe = 22
    shares = "taint"
    fix_title = (
        "Keep only the file name (`os.path.basename()`, `secure_filename()`), or resolve the "
        "path and check `is_relative_to(BASE)` before using it; extract archives with "
        "`filter='data'`."
    )

    def check_project(self, context: Context) -> Iterable[Report]:
        return chain(
            taint_reports(context, PATH, "file path built from {sources}"),
            taint_reports(
                context, ARCHIVE, "tar archive from {sources} extracted without a `filter`"
            ),
        )
