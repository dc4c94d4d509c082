"""
## What it does
Finds `POST` operations that create a resource (the handler is named `create_...`, `add_...`,
`new_...`, `register_...` or `insert_...`; or the path names a collection, `/comments`, and the
handler adds an ORM object to the session or calls the project's own `create...` function) but
declare no `status_code` (or `status_code=200`).

## Why is this bad?
FastAPI answers 200 unless told otherwise. Clients, SDK generators and the OpenAPI schema then
describe a creation as a plain success: `201 Created` is what HTTP and most client libraries
expect, and what lets a client tell "created" from "already existed".

## Known problems
Action endpoints (`/login`, `/token`, `/search`, `/orders/{id}/cancel` ...) are not creations
and are skipped by their path or handler name; an action named otherwise may still be reported.

## Example
```python
from fastapi import FastAPI
from pydantic import BaseModel

app = FastAPI()


class Product(BaseModel):
    name: str


@app.post("/products")
def create_product(product: Product) -> Product:
    return product
```

## Use instead
```python
from fastapi import FastAPI, status
from pydantic import BaseModel

app = FastAPI()


class Product(BaseModel):
    name: str


@app.post("/products", status_code=status.HTTP_201_CREATED)
def create_product(product: Product) -> Product:
    return product
```

## Fix safety
Changing the status code changes the API contract: clients that test for exactly 200 break.

## References
- https://fastapi.tiangolo.com/tutorial/response-status-code/
- https://www.rfc-editor.org/rfc/rfc9110#name-201-created
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable

from apismith.analysis.blocking import own_nodes
from apismith.findings import Confidence, Severity
from apismith.project.routes import Route
from apismith.rules.base import Report, Rule
from apismith.rules.context import Context

CREATE_WORDS = frozenset({"create", "add", "new", "register", "insert"})
_ACTION_WORDS = """
    login logout signin signout token tokens refresh search query verify validate confirm
    activate deactivate reset send resend run execute trigger start stop cancel approve
    reject publish unpublish archive unarchive restore sync import export check test preview
    calculate compute estimate process parse convert render generate subscribe unsubscribe
    follow unfollow like unlike join leave accept decline retry move merge lock unlock
    enable disable toggle mark upload download webhook webhooks callback notify ping echo
    authorize authenticate auth otp mfa password forgot change complete finish close reopen
    pay charge refund capture session sessions update upsert or replace set batch bulk
    graphql rpc
"""
ACTION_WORDS = frozenset(_ACTION_WORDS.split())
SESSION_METHODS = frozenset({"add", "add_all"})
OK_STATUS = re.compile(r"^(200|HTTP_200_OK|OK)$")


def words(name: str) -> list[str]:
    """Lower-case words of an identifier or path segment (``createUser`` -> create, user)."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    return [w for w in re.split(r"[^A-Za-z0-9]+", spaced.lower()) if w]


def is_session_type(type_name: str | None) -> bool:
    """Whether a qualified type name is a SQLAlchemy or SQLModel session."""
    return type_name is not None and (
        type_name.endswith((".Session", ".AsyncSession")) and type_name.startswith("sql")
    )


def session_names(context: Context, route: Route) -> set[str]:
    """Names of the handler's parameters (and locals) that hold a database session."""
    handler = route.handler
    found = {
        name
        for name, type_name in context.project.scope(handler).types.items()
        if is_session_type(type_name)
    }
    for param in route.operation.params:
        dependency = param.dependency
        if dependency is None or dependency.function is None:
            continue
        owner, function = dependency.function
        if is_session_type(context.project.annotation_type(owner, function.returns)):
            found.add(param.name)
    return found


class CreateReturns200(Rule):
    id = "COR004"
    name = "create-returns-200"
    family = "correctness"
    severity = Severity.LOW
    confidence = Confidence.MEDIUM
    fix_title = "Declare `status_code=status.HTTP_201_CREATED` on the creating operation."

    def check_project(self, context: Context) -> Iterable[Report]:
        seen: set[int] = set()
        for route in context.routes.routes:
            decorator = route.operation.decorator
            if route.method != "POST" or id(decorator) in seen or not _answers_200(route):
                continue
            seen.add(id(decorator))
            reason = _creates(context, route)
            if reason is None or _is_action(route) or _sets_status(context, route):
                continue
            yield Report(
                route.module,
                decorator,
                f"`POST {route.path}` ({reason}) creates a resource but answers 200 OK",
            )


def _answers_200(route: Route) -> bool:
    """Whether a POST operation keeps FastAPI's 200 (and is not also a GET form page)."""
    if route.keyword("response_class") is not None or "GET" in route.operation.methods:
        return False
    status = route.keyword("status_code")
    if status is None:
        return True
    if isinstance(status, ast.Constant):
        return status.value == 200
    if isinstance(status, ast.Attribute):
        return bool(OK_STATUS.match(status.attr))
    return False


def _creates(context: Context, route: Route) -> str | None:
    """Why the operation looks like a creation (None when it does not)."""
    handler = route.handler
    if words(handler.name)[:1] and words(handler.name)[0] in CREATE_WORDS:
        return f"`{handler.name}`"
    segments = [s for s in route.path.split("/") if s]
    if not segments or segments[-1].startswith("{") or not segments[-1].endswith("s"):
        return None  # other evidence only counts for a POST to a collection (``/comments``)
    module = route.module
    scope = context.project.scope(handler)
    sessions = session_names(context, route)
    for node in own_nodes(handler):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if (
            isinstance(func, ast.Attribute)
            and func.attr in SESSION_METHODS
            and isinstance(func.value, ast.Name)
            and func.value.id in sessions
        ):
            return f"`{handler.name}` calls `{func.value.id}.{func.attr}()`"
        callee = context.project.function(context.project.resolve(module, node.func, scope))
        if callee is not None:
            first = words(callee[1].name)[:1]
            if first and first[0] in {"create", "insert"} and not _action_words(callee[1].name):
                return f"`{handler.name}` calls `{callee[1].name}()`"
    return None


def _action_words(name: str) -> bool:
    """Whether a name says "do something" or "add to" rather than "create"."""
    found = words(name)
    return any(word in ACTION_WORDS for word in found) or (found[:1] == ["add"] and "to" in found)


def _is_action(route: Route) -> bool:
    """Whether the handler name or the path's last fixed segment names an action."""
    segments = [s for s in route.path.split("/") if s and not s.startswith("{")]
    last = segments[-1] if segments else ""
    return _action_words(route.handler.name) or _action_words(last)


def _sets_status(context: Context, route: Route) -> bool:
    """Whether the handler sets the status itself (a returned response, ``x.status_code = ...``)
    or leaves the creation to a background task (nothing exists yet when it answers)."""
    for node in own_nodes(route.handler):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "add_task"
        ):
            return True
        if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Attribute) and t.attr == "status_code" for t in targets):
                return True
        if isinstance(node, ast.Return):
            value = node.value.value if isinstance(node.value, ast.Await) else node.value
            if isinstance(value, ast.Call):
                name = context.project.resolve(route.module, value.func) or ast.unparse(value.func)
                if name.lower().endswith("response"):  # `JSONResponse(...)`, `make_response()`
                    return True
    return False
