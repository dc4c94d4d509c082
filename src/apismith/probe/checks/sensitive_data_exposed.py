"""Sensitive data exposed: an answer that carries password hashes, secrets or card numbers.

## What it does
Looks at the JSON bodies of the successful answers of the run for fields named like a
password, a password hash, a salt, a private or secret key, a one-time-password secret, a
card number or a social security number, with a non-empty value. Sign-in and token
operations, which hand out credentials by design, and answers that create a key (a POST
returning its new ``api_key`` once) are left out.

## Why is this bad?
Whoever can call the operation gets what the database should never give out: hashes to
crack offline, secrets to forge tokens or second factors, payment data.

## Example
```python
@app.get("/users/{user_id}")
def read_user(user_id: int, db: Session = Depends(get_db)):
    return db.get(User, user_id)  # every column, hashed_password included
```

## Use instead
```python
@app.get("/users/{user_id}", response_model=UserOut)  # UserOut has no password field
def read_user(user_id: int, db: Session = Depends(get_db)):
    return db.get(User, user_id)
```
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from apismith.findings import Confidence, Severity
from apismith.probe.checks.base import Check, define
from apismith.probe.context import ProbeContext, finding, is_auth_flow

RULE = define(__doc__, "PRB014", "sensitive-data-exposed", Severity.MEDIUM, Confidence.MEDIUM, 200)
ALWAYS = re.compile(
    r"(?i)^(password|passwd|pwd|password_?hash|hashed_?password|pass_?hash|salt|"
    r"otp_?secret|mfa_?secret|totp_?secret|private_?key|ssn|social_security_number|"
    r"card_?number|credit_?card(_number)?|cvv|cvc)$"
)
# Handed out once when created, otherwise never.
ON_CREATION = re.compile(r"(?i)^(api_?key|secret|secret_?key|client_?secret)$")


def fields(body: Any, depth: int = 0) -> Iterator[tuple[str, Any]]:
    """Every (key, value) pair of a JSON body, nested ones included."""
    if depth > 6:
        return
    if isinstance(body, dict):
        for key, value in body.items():
            yield str(key), value
            yield from fields(value, depth + 1)
    elif isinstance(body, list):
        for item in body[:50]:
            yield from fields(item, depth + 1)


def run(ctx: ProbeContext) -> None:
    """Report the first answer of each operation that carries a sensitive field."""
    for exchange in ctx.channel.exchanges:
        operation = exchange.operation
        if operation is None or not exchange.ok:
            continue
        if "json" not in exchange.headers.get("content-type", ""):
            continue
        for key, value in fields(exchange.json()):
            if value in (None, "", [], {}) or isinstance(value, bool):
                continue
            # Sign-in and sign-up hand out keys and tokens by design, never password hashes.
            handed_out = operation.method == "POST" or is_auth_flow(operation)
            exposed = ALWAYS.match(key) or (ON_CREATION.match(key) and not handed_out)
            if exposed:
                ctx.report(
                    finding(
                        RULE,
                        exchange,
                        f"{operation.label} answered {exchange.status} with the field {key!r}",
                    )
                )
                break


CHECK = Check(RULE, run)
