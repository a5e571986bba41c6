"""The translation behind ``tools/generate_sync.py``: one async class (its AST) in, its
sync twin (an AST class forwarding through the portal) out. Pure :mod:`ast`: the package
is never imported."""

from __future__ import annotations

import ast
import builtins
import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

PACKAGE = "twelvelabs_embed"
TARGET_IMPORTS = {"Iterator": "collections.abc", "Portal": f"{PACKAGE}._portal"}
DOCSTRING_PHRASES = [("async with ", "with "), ("async for ", "for ")]
ASYNC_ONLY_WORDS = re.compile(r"\b(aclosing|await|asyncio|coroutine|async)\b")
"""Left in a sync docstring after the renames, these would tell sync users to write async
code: reword the async docstring instead."""
CLASS_NOTE = """
Sync client: the async core runs on a private event loop in a daemon thread that
this client owns, so it works in scripts, in notebooks and under a running event
loop, and from several threads at once. Callbacks run in the thread that made the
call. Ctrl-C cancels the running request and raises ``KeyboardInterrupt``. After
``os.fork()``, create a new client in the child.
"""
CALLBACK_NOTE = "Sync client: {names} {verb} in the thread that {where}."


class GenerationError(Exception):
    """The async source uses something the generator does not translate."""


@dataclass
class Context:
    """What the whole run shares: the maps, what was used, the imports to write."""

    names_map: Mapping[str, str]
    inputs: set[str]
    callback_types: frozenset[str]
    final_methods: frozenset[str]
    used: set[str] = field(default_factory=set)
    imports: dict[str, str] = field(default_factory=dict)  # alias -> import line

    def rename(self, name: str) -> str:
        if name in self.names_map:
            self.used.add(name)
            return self.names_map[name]
        return name


def source_path(root: Path, module: str) -> Path:
    path = root / Path(*module.split("."))
    return path / "__init__.py" if path.is_dir() else path.with_suffix(".py")


def top_level_names(module: str, tree: ast.Module) -> dict[str, str]:
    """``name -> the import line`` that brings each top-level name of ``module`` into a
    generated module (``if TYPE_CHECKING:`` blocks included)."""
    found: dict[str, str] = {}
    package = module.rsplit(".", 1)[0]
    nodes = list(tree.body)
    while nodes:
        node = nodes.pop(0)
        if isinstance(node, ast.If):
            nodes[:0] = node.body + node.orelse
        elif isinstance(node, ast.Import):
            for a in node.names:
                top = a.name.split(".")[0]
                found[a.asname or top] = (
                    f"import {a.name} as {a.asname}" if a.asname else f"import {top}"
                )
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}" if base else parent
            for a in node.names:
                alias = f" as {a.asname}" if a.asname else ""
                found[a.asname or a.name] = f"from {base} import {a.name}{alias}"
        elif isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            found[node.name] = f"from {module} import {node.name}"
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for t in targets:
                if isinstance(t, ast.Name):
                    found[t.id] = f"from {module} import {t.id}"
    return found


def names_in(node: ast.AST | None) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)} if node else set()


def input_class(node: ast.expr | None, inputs: set[str]) -> str | None:
    """The input class ``node`` names: ``AsyncPager``, ``AsyncPager[T]``, or with ``| None``."""
    if isinstance(node, ast.BinOp) and isinstance(node.right, ast.Constant):
        node = node.left
    if isinstance(node, ast.Subscript):
        node = node.value
    return node.id if isinstance(node, ast.Name) and node.id in inputs else None


def iterator_item(returns: ast.expr | None) -> ast.expr | None:
    """``T`` when ``returns`` is ``AsyncIterator[T]`` or ``AsyncGenerator[T, ...]``."""
    if (
        isinstance(returns, ast.Subscript)
        and isinstance(returns.value, ast.Name)
        and returns.value.id in ("AsyncIterator", "AsyncGenerator")
    ):
        return returns.slice.elts[0] if isinstance(returns.slice, ast.Tuple) else returns.slice
    return None


def has_yield(fn: ast.AsyncFunctionDef | ast.FunctionDef) -> bool:
    """An async generator: a ``yield`` in its own body (not in a nested function)."""
    nodes: list[ast.AST] = list(fn.body)
    while nodes:
        node = nodes.pop()
        if isinstance(node, ast.Yield | ast.YieldFrom):
            return True
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            nodes.extend(ast.iter_child_nodes(node))
    return False


@dataclass
class ClassGen:
    """Translates one async class into its sync twin."""

    ctx: Context
    node: ast.ClassDef
    resolver: dict[str, str]
    is_root: bool
    callbacks_used: set[str]

    def need(self, names: set[str]) -> None:
        generated = {self.ctx.names_map.get(n, n) for n in self.ctx.inputs}
        for name in names - generated:
            if hasattr(builtins, name):
                continue
            if name in TARGET_IMPORTS:
                line = f"from {TARGET_IMPORTS[name]} import {name}"
            elif name in self.resolver:
                line = self.resolver[name]
            else:
                raise GenerationError(f"{self.node.name}: cannot tell where {name!r} comes from")
            if self.ctx.imports.setdefault(name, line) != line:
                raise GenerationError(
                    f"{name!r} means two things: {line}; {self.ctx.imports[name]}"
                )

    def renamed(self, node: ast.expr | None) -> ast.expr | None:
        """A copy with names mapped, ``AsyncGenerator[Y, S]`` -> ``Iterator[Y]``; imports noted."""
        if node is None:
            return None
        out = copy.deepcopy(node)
        for sub in ast.walk(out):
            if isinstance(sub, ast.Constant) and isinstance(sub.value, str):
                raise GenerationError(f"string annotation {sub.value!r}: write it unquoted")
            if (
                isinstance(sub, ast.Subscript)
                and isinstance(sub.value, ast.Name)
                and sub.value.id == "AsyncGenerator"
                and isinstance(sub.slice, ast.Tuple)
            ):
                sub.slice = sub.slice.elts[0]
        for sub in ast.walk(out):
            if isinstance(sub, ast.Name):
                sub.id = self.ctx.rename(sub.id)
        self.need(names_in(out))
        return out

    def docstring(self, node: ast.AST, note: str | None, indent: str) -> str | None:
        doc = ast.get_docstring(node, clean=False)  # type: ignore[arg-type]
        if doc is not None:
            for old, new in self.ctx.names_map.items():
                pattern = re.compile(rf"(?<![\w.]){re.escape(old)}\b")
                if old.isidentifier() and pattern.search(doc):
                    self.ctx.used.add(old)
                    doc = pattern.sub(new, doc)
            for old, new in DOCSTRING_PHRASES:
                doc = doc.replace(old, new)
            if leftover := ASYNC_ONLY_WORDS.search(doc):
                where = getattr(node, "name", "?")
                raise GenerationError(
                    f"{self.node.name}.{where}: the sync docstring would say "
                    f"{leftover.group()!r}; reword the async one"
                )
        if note:
            lines = [indent + line if line else "" for line in note.strip().splitlines()]
            doc = (doc.rstrip() + "\n\n" if doc else "\n") + "\n".join(lines) + "\n" + indent
        return doc

    def callbacks(self, fn: ast.FunctionDef | ast.AsyncFunctionDef) -> list[str]:
        found = []
        for a in [*fn.args.args, *fn.args.kwonlyargs]:
            names = names_in(a.annotation)
            if "Callable" in names or names & self.ctx.callback_types:
                self.callbacks_used.update(names & self.ctx.callback_types)
                found.append(a.arg)
        return found

    def signature(self, fn: ast.FunctionDef | ast.AsyncFunctionDef) -> ast.FunctionDef:
        args = copy.deepcopy(fn.args)
        for a in [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]:
            if a is not None:
                a.annotation = self.renamed(a.annotation)
        args.defaults = [self.renamed(d) for d in args.defaults]  # type: ignore[misc]
        args.kw_defaults = [self.renamed(d) for d in args.kw_defaults]
        return ast.FunctionDef(
            name=self.ctx.rename(fn.name),
            args=args,
            body=[],
            decorator_list=[],
            returns=self.renamed(fn.returns),
            type_comment=None,
        )

    @staticmethod
    def forward(fn: ast.FunctionDef | ast.AsyncFunctionDef, callbacks: list[str]) -> list[str]:
        def value(name: str) -> str:
            return f"self._portal.marshal({name})" if name in callbacks else name

        a = fn.args
        parts = [value(p.arg) for p in [*a.posonlyargs, *a.args][1:]]
        parts += [f"*{a.vararg.arg}"] if a.vararg else []
        parts += [f"{p.arg}={value(p.arg)}" for p in a.kwonlyargs]
        parts += [f"**{a.kwarg.arg}"] if a.kwarg else []
        return parts

    def wrap(self, returns: ast.expr | None, value: str) -> str:
        cls = input_class(returns, self.ctx.inputs)
        if cls is None:
            return value
        sync = self.ctx.rename(cls)
        if isinstance(returns, ast.BinOp):  # ``X | None``
            return f"None if (result := {value}) is None else {sync}(result, self._portal)"
        return f"{sync}({value}, self._portal)"

    def method(self, fn: ast.FunctionDef | ast.AsyncFunctionDef) -> ast.FunctionDef:
        if fn.returns is None:
            raise GenerationError(f"{self.node.name}.{fn.name}: needs a return annotation")
        out = self.signature(fn)
        callbacks = self.callbacks(fn)
        target = f"self._async.{fn.name}"
        args = self.forward(fn, callbacks)
        item = iterator_item(fn.returns)
        is_async = isinstance(fn, ast.AsyncFunctionDef)
        if fn.name == "__aenter__":
            body = f"self._portal.call({target})\nreturn self"
        elif self.is_root and fn.name in self.ctx.final_methods:
            body = f"self._portal.close({', '.join([target, *args])})"
        elif item is not None:
            if is_async and not has_yield(fn):  # a coroutine that returns an iterator
                source = f"self._portal.call({', '.join([target, *args])})"
            else:
                source = f"{target}({', '.join(args)})"
            cls = input_class(item, self.ctx.inputs)
            extra = f", {self.ctx.rename(cls)}" if cls else ""
            body = f"return self._portal.iterate({source}{extra})"
        elif is_async:
            body = "return " + self.wrap(
                fn.returns, f"self._portal.call({', '.join([target, *args])})"
            )
        else:
            body = "return " + self.wrap(fn.returns, f"{target}({', '.join(args)})")
        if isinstance(fn.returns, ast.Constant):  # ``-> None``
            body = body.removeprefix("return ")
        note = None
        if callbacks:
            note = CALLBACK_NOTE.format(
                names=" and ".join(f"``{c}``" for c in sorted(callbacks)),
                verb="run" if len(callbacks) > 1 else "runs",
                where="calls ``next()`` on the iterator" if item else "made this call",
            )
        out.body = self.with_doc(self.docstring(fn, note, " " * 8), body)
        return out

    def copied_classmethod(self, fn: ast.FunctionDef) -> ast.FunctionDef:
        """A plain classmethod is copied whole, names renamed: it receives ``cls``, so a body
        such as ``return Factory(cls, ...)`` serves both twins (``AsyncTwelveLabs.local``)."""
        out = self.signature(fn)
        out.decorator_list = [ast.Name("classmethod")]
        has_doc = ast.get_docstring(fn, clean=False) is not None
        stmts = [copy.deepcopy(stmt) for stmt in (fn.body[1:] if has_doc else fn.body)]
        names: set[str] = set()
        for stmt in stmts:
            for sub in ast.walk(stmt):
                if isinstance(sub, ast.Name):
                    sub.id = self.ctx.rename(sub.id)
                    names.add(sub.id)
        a = fn.args
        params = {p.arg for p in [*a.posonlyargs, *a.args, *a.kwonlyargs, a.vararg, a.kwarg] if p}
        self.need(names - params)
        doc = self.docstring(fn, None, " " * 8)
        out.body = [ast.Expr(ast.Constant(doc)), *stmts] if doc is not None else stmts
        return out

    @staticmethod
    def with_doc(doc: str | None, body: str) -> list[ast.stmt]:
        stmts = ast.parse(body).body
        return [ast.Expr(ast.Constant(doc)), *stmts] if doc is not None else stmts

    def init(self, fn: ast.FunctionDef) -> list[ast.stmt]:
        """``__init__`` and one property (or wrapped twin) per public attribute it sets."""
        params = {a.arg: a.annotation for a in [*fn.args.args, *fn.args.kwonlyargs]}
        wrapped, props = [], []
        for node in ast.walk(fn):
            target, value, annotation = None, None, None
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                target, value = node.targets[0], node.value
            elif isinstance(node, ast.AnnAssign):
                target, value, annotation = node.target, node.value, node.annotation
            if not (
                isinstance(target, ast.Attribute)
                and isinstance(target.value, ast.Name)
                and target.value.id == "self"
                and not target.attr.startswith("_")
            ):
                continue
            name = target.attr
            if isinstance(value, ast.Call) and (cls := input_class(value.func, self.ctx.inputs)):
                sync = self.ctx.rename(cls)
                wrapped.append(f"self.{name} = {sync}(self._async.{name}, self._portal)")
                continue
            if annotation is None and isinstance(value, ast.Name):
                annotation = params.get(value.id)
            if annotation is None:
                raise GenerationError(f"{self.node.name}.{name}: annotate `self.{name}: T = ...`")
            ann = ast.unparse(self.renamed(annotation))  # type: ignore[arg-type]
            props += ast.parse(
                f"@property\ndef {name}(self) -> {ann}:\n    return self._async.{name}\n"
            ).body
        self.need({self.node.name, "Portal"})
        if self.is_root:
            out = self.signature(fn)
            body = [
                f"self._async = {self.node.name}({', '.join(self.forward(fn, []))})",
                "self._portal = Portal(self._async.close)",
                *wrapped,
            ]
            out.body = self.with_doc(ast.get_docstring(fn, clean=False), "\n".join(body))
            return [out, *props]
        generic = [b for b in self.node.bases if isinstance(b, ast.Subscript)]
        params_text = f"[{ast.unparse(generic[0].slice)}]" if generic else ""
        text = (
            f"def __init__(self, async_: {self.node.name}{params_text}, portal: Portal) -> None:\n"
            f'    """Wraps an ``{self.node.name}``; the client makes it, not your code."""\n'
            "    self._async = async_\n    self._portal = portal\n"
            + "".join(f"    {w}\n" for w in wrapped)
        )
        return [*ast.parse(text).body, *props]

    def generate(self) -> ast.ClassDef:
        body: list[ast.stmt] = []
        doc = self.docstring(self.node, CLASS_NOTE if self.is_root else None, " " * 4)
        if doc:
            body.append(ast.Expr(ast.Constant(doc)))
        for node in self.node.body:
            if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
                continue  # the docstring
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                raise GenerationError(f"{self.node.name}: class-level {type(node).__name__}")
            decorators = {ast.unparse(d) for d in node.decorator_list}
            if node.name == "__init__" and isinstance(node, ast.FunctionDef):
                body.extend(self.init(node))
            elif node.name.startswith("__") and node.name not in self.ctx.names_map:
                raise GenerationError(f"{self.node.name}.{node.name}: no sync counterpart")
            elif node.name.startswith("_") and not node.name.startswith("__"):
                continue  # private helpers stay on the async side
            elif decorators == {"property"} and isinstance(node, ast.FunctionDef):
                out = self.signature(node)
                out.decorator_list = [ast.Name("property")]
                value = self.wrap(node.returns, f"self._async.{node.name}")
                out.body = self.with_doc(self.docstring(node, None, " " * 8), f"return {value}")
                body.append(out)
            elif decorators == {"classmethod"} and isinstance(node, ast.FunctionDef):
                body.append(self.copied_classmethod(node))
            elif decorators:
                raise GenerationError(f"{self.node.name}.{node.name}: decorators {decorators}")
            else:
                body.append(self.method(node))
        bases = [self.renamed(b) for b in self.node.bases]
        return ast.ClassDef(self.ctx.rename(self.node.name), bases, [], body, [])  # type: ignore[arg-type]
