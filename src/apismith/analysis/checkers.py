"""Whether a function checks the paths or URLs it builds, wherever in its body: a resolved
path's containment, a ``..`` or separator test, a host or prefix test, an allow-list, or a
``safe_path()``/``is_safe_url()``-like helper. Such a function's file and URL sinks are trusted.
"""

from __future__ import annotations

import ast
import re

from apismith.analysis import sinks as S
from apismith.project.module import Function
from apismith.project.project import last_name
from apismith.project.walk import walk

PATH_GUARDS = frozenset({"is_relative_to", "commonpath", "realpath", "relative_to", "parents"})
PATH_NORMALIZERS = frozenset({"abspath", "normpath", "resolve", "realpath", "absolute"})
URL_GUARDS = frozenset({"netloc", "hostname"})
PATH_CHECKER = re.compile(
    r"(safe|secure|valid|sanitiz|check)\w*path|path\w*(safe|valid|allowed)", re.I
)
URL_CHECKER = re.compile(
    r"ssrf|(valid|safe|allow|trust|check|verify)\w*(url|uri|host|domain|redirect|link|origin)"
    r"|(url|uri|host|domain|redirect|origin)\w*(valid|safe|allow|trust|check)",
    re.IGNORECASE,
)
# ``validate_params(redirect_uri)``: a check called on a value named like a URL.
VALIDATOR = re.compile(r"_*(validate|verify|ensure|check|assert)", re.IGNORECASE)
URL_NAME = re.compile(r"url|uri|redirect|next|target|link|host|callback|return_to", re.I)
ALLOW_LIST = re.compile(r"allow|trust|whitelist|permit|valid|known|safe", re.IGNORECASE)


def guards_paths(function: Function) -> bool:
    """Whether a function checks the paths it builds (``is_relative_to``, ``..`` tests, a
    normalised path's prefix or parent, a ``safe_path``-like check)."""
    normalizes = checks_prefix = False
    for node in walk(function):
        if isinstance(node, ast.Attribute):
            if node.attr in PATH_GUARDS:
                return True
            normalizes = normalizes or node.attr in PATH_NORMALIZERS
            checks_prefix = checks_prefix or node.attr == "startswith"
        elif isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            if any(isinstance(side, ast.Constant) and side.value in S.SEPARATORS for side in sides):
                return True
            if any(isinstance(side, ast.Attribute) and side.attr == "parent" for side in sides):
                return True
        elif isinstance(node, ast.Call) and PATH_CHECKER.search(last_name(node.func)):
            return True
    return normalizes and checks_prefix


def guards_urls(function: Function) -> bool:
    """Whether a function checks the URLs it uses: their host, their prefix, an allow-list, a
    parameter compared with known values, or a ``is_safe_url``-like check."""
    arguments = function.args
    params = {a.arg for a in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs)}
    for node in walk(function):
        if isinstance(node, ast.Call) and (
            URL_CHECKER.search(last_name(node.func))
            or (
                VALIDATOR.match(last_name(node.func))
                and any(URL_NAME.search(last_name(arg)) for arg in node.args)
            )
        ):
            return True
        if isinstance(node, ast.Compare) and _matches_known(node, params):
            return True
        if not isinstance(node, ast.If | ast.Assert | ast.While | ast.IfExp):
            continue
        for part in walk(node.test):
            if isinstance(part, ast.Attribute) and part.attr in URL_GUARDS:
                return True
            if isinstance(part, ast.Call) and _checks_url_prefix(part):
                return True
            if isinstance(part, ast.Compare) and any(
                isinstance(op, ast.In | ast.NotIn) and ALLOW_LIST.search(last_name(side))
                for op, side in zip(part.ops, part.comparators, strict=True)
            ):
                return True
    return False


def _checks_url_prefix(node: ast.Call) -> bool:
    """``url.startswith(ALLOWED)`` or ``x.startswith("https://...")``, not a content-type test."""
    func = node.func
    if not (isinstance(func, ast.Attribute) and func.attr == "startswith" and node.args):
        return False
    prefix = node.args[0]
    if isinstance(prefix, ast.Constant) and isinstance(prefix.value, str):
        if prefix.value == "/":
            return False  # ``//evil.example`` starts with "/" too
        return prefix.value.startswith(("/", "http")) or "://" in prefix.value
    return bool(URL_NAME.search(last_name(func.value))) or not isinstance(prefix, ast.Constant)


def _matches_known(node: ast.Compare, params: set[str]) -> bool:
    """``param == known.value`` or ``param in allowed``: a parameter checked against values
    that are not written in the comparison itself."""
    sides = [node.left, *node.comparators]
    return (
        len(sides) == 2
        and isinstance(node.ops[0], ast.Eq | ast.In)
        and any(isinstance(side, ast.Name) and side.id in params for side in sides)
        and not any(
            isinstance(side, ast.Constant | ast.Tuple | ast.List | ast.Set) for side in sides
        )
    )
