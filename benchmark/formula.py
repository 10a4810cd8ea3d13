"""Threshold formulas: safe parsing, validation and vectorised evaluation.

This module owns the small expression language in which reference data files write thresholds that
depend on product parameters, e.g. a motor efficiency class as a cubic in ``log10(rated_power)`` or
a piecewise power-supply efficiency. A formula is parsed with ``ast.parse(mode="eval")``, checked
against a whitelist of syntax nodes, declared parameter names and functions, and compiled once into
a tree of small closures that call numpy, so one call evaluates a whole array of parameter values.
Nothing is ever handed to ``eval``/``exec``/``compile``. Every refusal is a `FormulaError` carrying
one `Problem` with a stable ``formula_*`` reason code.

Values are float64 throughout: comparisons and ``and``/``or``/``not`` give 1.0 / 0.0, and any
non-zero value (NaN included) counts as true where a condition is expected.
"""

from __future__ import annotations

import ast
import difflib
import functools
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import NoReturn

import numpy as np

from benchmark.errors import FormulaError, Hint, Problem, Term

ALLOWED_FUNCTIONS: frozenset[str] = frozenset(
    {"log10", "ln", "log", "exp", "sqrt", "abs", "min", "max", "where", "piecewise"}
)

_MAX_LENGTH = 2000
_MAX_NODES = 400
_MAX_DEPTH = 40
_MAX_EXPONENT = 16

_Env = Mapping[str, np.ndarray]
_Eval = Callable[[_Env], np.ndarray]

_UNARY_FUNCTIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "log10": np.log10, "ln": np.log, "log": np.log, "exp": np.exp, "sqrt": np.sqrt, "abs": np.abs,
}
_BINARY_OPS = {
    ast.Add: np.add, ast.Sub: np.subtract, ast.Mult: np.multiply, ast.Div: np.true_divide,
    ast.Pow: np.power,
}
_COMPARE_OPS = {
    ast.Lt: np.less, ast.LtE: np.less_equal, ast.Gt: np.greater, ast.GtE: np.greater_equal,
    ast.Eq: np.equal, ast.NotEq: np.not_equal,
}
_NODE_NAMES = {
    ast.Attribute: "attribute access", ast.Subscript: "subscript", ast.Slice: "slice",
    ast.Lambda: "lambda", ast.JoinedStr: "f-string", ast.FormattedValue: "f-string",
    ast.ListComp: "comprehension", ast.SetComp: "comprehension", ast.DictComp: "comprehension",
    ast.GeneratorExp: "generator expression", ast.Starred: "starred argument",
    ast.NamedExpr: "assignment expression (:=)", ast.Dict: "dict literal",
    ast.List: "list literal", ast.Set: "set literal", ast.Tuple: "tuple literal",
    ast.IfExp: "conditional expression (a if c else b)", ast.Await: "await",
    ast.Yield: "yield", ast.YieldFrom: "yield",
}
_ALLOWED_SYNTAX = (
    "numbers, declared parameter names, + - * / **, unary - +, comparisons < <= > >= == !=, "
    "and/or/not, and calls of " + ", ".join(sorted(ALLOWED_FUNCTIONS))
)


@dataclass(frozen=True)
class Formula:
    """A validated formula; call it with parameter values (floats or arrays, broadcast together)."""

    source: str
    names: frozenset[str]
    _evaluate: _Eval = field(repr=False, compare=False)

    def __call__(self, **params: float | np.ndarray) -> np.ndarray:
        missing = sorted(self.names - params.keys())
        if missing:
            raise FormulaError(Problem(
                code="formula_parameter_missing",
                message=f"formula {_excerpt(self.source)}: no value given for parameter(s) "
                        f"{', '.join(missing)}",
                hint=Hint(f"the formula uses {', '.join(sorted(self.names))}", "formula_uses",
                          names=", ".join(sorted(self.names))),
            ))
        env: dict[str, np.ndarray] = {}
        for name in self.names:
            try:
                env[name] = np.asarray(params[name], dtype=np.float64)
            except (TypeError, ValueError) as exc:
                raise FormulaError(Problem(
                    code="formula_parameter_invalid",
                    message=f"formula {_excerpt(self.source)}: parameter {name} must be a number "
                            f"or an array of numbers, got {params[name]!r:.60}",
                )) from exc
        try:
            np.broadcast_shapes(*(value.shape for value in env.values()))
        except ValueError as exc:
            shapes = ", ".join(f"{n}{env[n].shape}" for n in sorted(env))
            raise FormulaError(Problem(
                code="formula_parameter_invalid",
                message=f"formula {_excerpt(self.source)}: parameter shapes do not broadcast "
                        f"together: {shapes}",
            )) from exc
        with np.errstate(all="ignore"):
            return np.asarray(self._evaluate(env), dtype=np.float64)


def compile_formula(source: str, parameters: Iterable[str]) -> Formula:
    """Validate `source` against the declared `parameters` and compile it; raises FormulaError."""
    declared = frozenset(parameters)
    if not isinstance(source, str):
        _fail("formula_syntax", f"a formula must be a string, got {type(source).__name__}")
    if len(source) > _MAX_LENGTH:
        _fail("formula_too_long", f"formula {_excerpt(source)} has {len(source)} characters; "
                                  f"at most {_MAX_LENGTH} are allowed")
    if not source.strip():
        _fail("formula_syntax", "the formula is empty; an expression such as 0.071*ln(Po) + 0.67 "
                                "is expected")
    if _bracket_depth(source) > _MAX_DEPTH:
        _fail("formula_too_complex", f"formula {_excerpt(source)} nests brackets more than "
                                     f"{_MAX_DEPTH} deep")
    try:
        with warnings.catch_warnings():  # "1and P" warns; refuse it rather than guess
            warnings.simplefilter("error", SyntaxWarning)
            tree = ast.parse(source, mode="eval")
    except (SyntaxError, ValueError) as exc:
        _fail("formula_syntax", f"formula {_excerpt(source)} is not a valid expression: "
                                f"{getattr(exc, 'msg', None) or exc}",
              hint=Hint(f"allowed: {_ALLOWED_SYNTAX}", "formula_allowed",
                        functions=", ".join(sorted(ALLOWED_FUNCTIONS))))
    except (RecursionError, MemoryError):
        _fail("formula_too_complex", f"formula {_excerpt(source)} is too deeply nested to parse")
    _check_size(source, tree.body)
    compiler = _Compiler(source, declared)
    evaluate = compiler.compile(tree.body)
    return Formula(source=source, names=frozenset(compiler.used), _evaluate=evaluate)


def _fail(code: str, message: str, hint: str | None = None) -> NoReturn:
    raise FormulaError(Problem(code=code, message=message, hint=hint))


def _excerpt(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return repr(text if len(text) <= limit else text[:limit - 3] + "...")


def _bracket_depth(source: str) -> int:
    depth = deepest = 0
    for char in source:
        if char in "([{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in ")]}":
            depth -= 1
    return deepest


def _check_size(source: str, root: ast.expr) -> None:
    """Count expression nodes and their nesting depth without recursion."""
    count = deepest = 0
    stack: list[tuple[ast.AST, int]] = [(root, 0)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, ast.expr):
            count += 1
            depth += 1
            deepest = max(deepest, depth)
        stack.extend((child, depth) for child in ast.iter_child_nodes(node))
    if count > _MAX_NODES:
        _fail("formula_too_complex", f"formula {_excerpt(source)} has {count} expression nodes; "
                                     f"at most {_MAX_NODES} are allowed")
    if deepest > _MAX_DEPTH:
        _fail("formula_too_complex", f"formula {_excerpt(source)} nests {deepest} levels deep; "
                                     f"at most {_MAX_DEPTH} are allowed")


def _as_float(value: np.ndarray | np.bool_) -> np.ndarray:
    return np.asarray(value, dtype=np.float64)


def _piecewise(args: list[np.ndarray]) -> np.ndarray:
    result = args[-1]
    for i in range(len(args) - 3, -1, -2):  # last pair first, so the first true condition wins
        result = np.where(args[i] != 0, args[i + 1], result)
    return result


class _Compiler:
    """Turns a size-checked AST into nested closures, refusing anything not whitelisted."""

    def __init__(self, source: str, declared: frozenset[str]):
        self.source = source
        self.declared = declared
        self.used: set[str] = set()

    def error(self, code: str, node: ast.AST, what: str, allowed: str,
              hint: str | None = None) -> FormulaError:
        segment = ast.get_source_segment(self.source, node) or type(node).__name__
        column = getattr(node, "col_offset", None)
        where = f" at column {column + 1}" if column is not None else ""
        return FormulaError(Problem(
            code=code,
            message=f"formula {_excerpt(self.source)}: {what} {_excerpt(segment, 40)}{where}; "
                    f"{allowed}",
            hint=hint,
        ))

    def compile(self, node: ast.expr) -> _Eval:
        if isinstance(node, ast.Constant):
            return self.constant(node)
        if isinstance(node, ast.Name):
            return self.name(node)
        if isinstance(node, ast.BinOp):
            return self.binop(node)
        if isinstance(node, ast.UnaryOp):
            return self.unaryop(node)
        if isinstance(node, ast.Compare):
            return self.compare(node)
        if isinstance(node, ast.BoolOp):
            return self.boolop(node)
        if isinstance(node, ast.Call):
            return self.call(node)
        raise self.not_allowed(node, _NODE_NAMES.get(type(node), type(node).__name__))

    def not_allowed(self, node: ast.AST, what: str) -> FormulaError:
        return self.error("formula_node_not_allowed", node, what + " is not allowed:",
                          f"allowed: {_ALLOWED_SYNTAX}")

    def constant(self, node: ast.Constant) -> _Eval:
        value = node.value
        if not isinstance(value, int | float) or isinstance(value, bool):
            kind = {str: "string", bytes: "bytes", bool: "boolean", complex: "complex number"}
            raise self.not_allowed(node, kind.get(type(value), repr(value)))
        try:
            number = np.float64(float(value))
        except OverflowError:
            number = np.float64(np.inf)
        if not np.isfinite(number):  # 1e400 parses as inf; 10**400 overflows
            raise self.error("formula_syntax", node, "number too large:",
                             "numbers must fit a 64-bit float")
        return lambda env: number  # type: ignore[return-value]  # a numpy scalar broadcasts

    def name(self, node: ast.Name) -> _Eval:
        name = node.id
        if name not in self.declared:
            declared = ", ".join(sorted(self.declared)) or Term("formula_terms", "none")
            known = sorted((self.declared | ALLOWED_FUNCTIONS) - {name})
            close = difflib.get_close_matches(name, known)
            hint = f"declared parameters: {declared}"
            if close:
                hint += f"; did you mean {' or '.join(close)}?"
            if name in ALLOWED_FUNCTIONS:
                hint += f"; {name} is a function: call it as {name}(...)"
            code = "formula_declared" + ("_close" if close else "") + \
                ("_function" if name in ALLOWED_FUNCTIONS else "")
            raise self.error("formula_name_unknown", node, "unknown name",
                             "only declared parameters and called functions may appear",
                             Hint(hint, code, declared=declared, matches=", ".join(close),
                                  name=name))
        self.used.add(name)
        return lambda env: env[name]

    def binop(self, node: ast.BinOp) -> _Eval:
        op = _BINARY_OPS.get(type(node.op))
        if op is None:
            raise self.not_allowed(node, f"operator {type(node.op).__name__}")
        if isinstance(node.op, ast.Pow):
            self.check_exponent(node.right)
        left, right = self.compile(node.left), self.compile(node.right)
        return lambda env: op(left(env), right(env))

    def check_exponent(self, node: ast.expr) -> None:
        literal = node.operand if (isinstance(node, ast.UnaryOp)
                                   and isinstance(node.op, ast.USub)) else node
        if (isinstance(literal, ast.Constant) and isinstance(literal.value, int | float)
                and not isinstance(literal.value, bool) and abs(literal.value) <= _MAX_EXPONENT):
            return
        raise self.error("formula_exponent_not_allowed", node, "exponent",
                         f"the exponent of ** must be a number (optionally negated) between "
                         f"-{_MAX_EXPONENT} and {_MAX_EXPONENT}",
                         "use exp(y*ln(x)) for a variable exponent")

    def unaryop(self, node: ast.UnaryOp) -> _Eval:
        if not isinstance(node.op, (ast.USub, ast.UAdd, ast.Not)):
            raise self.not_allowed(node, f"operator {type(node.op).__name__}")
        operand = self.compile(node.operand)
        if isinstance(node.op, ast.USub):
            return lambda env: np.negative(operand(env))
        if isinstance(node.op, ast.UAdd):
            return operand
        return lambda env: _as_float(np.logical_not(operand(env)))

    def compare(self, node: ast.Compare) -> _Eval:
        ops = []
        for op in node.ops:
            function = _COMPARE_OPS.get(type(op))
            if function is None:
                raise self.not_allowed(node, f"comparison {type(op).__name__}")
            ops.append(function)
        operands = [self.compile(node.left)] + [self.compile(c) for c in node.comparators]

        def evaluate(env: _Env) -> np.ndarray:
            values = [operand(env) for operand in operands]
            result = ops[0](values[0], values[1])
            for i in range(1, len(ops)):
                result = np.logical_and(result, ops[i](values[i], values[i + 1]))
            return _as_float(result)

        return evaluate

    def boolop(self, node: ast.BoolOp) -> _Eval:
        combine = np.logical_and if isinstance(node.op, ast.And) else np.logical_or
        values = [self.compile(value) for value in node.values]
        return lambda env: _as_float(functools.reduce(combine, [v(env) for v in values]))

    def call(self, node: ast.Call) -> _Eval:
        allowed = f"allowed functions: {', '.join(sorted(ALLOWED_FUNCTIONS))}"
        if not isinstance(node.func, ast.Name):
            raise self.error("formula_call_not_allowed", node, "call of something that is not "
                             "a function name:", allowed)
        name = node.func.id
        if name not in ALLOWED_FUNCTIONS:
            raise self.error("formula_call_not_allowed", node, f"call of {name} is not allowed:",
                             allowed)
        if node.keywords:
            raise self.not_allowed(node.keywords[0], "keyword argument")
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                raise self.not_allowed(arg, "starred argument")
        count = len(node.args)
        if name in ("min", "max"):
            ok, expected = count >= 2, "2 or more arguments"
        elif name == "where":
            ok, expected = count == 3, "3 arguments: where(condition, if_true, if_false)"
        elif name == "piecewise":
            ok, expected = count >= 3 and count % 2 == 1, (
                "an odd number (3 or more) of arguments: piecewise(c1, v1, c2, v2, ..., default)")
        else:
            ok, expected = count == 1, "1 argument"
        if not ok:
            raise self.error("formula_arity", node, f"{name} called with {count} argument(s):",
                             f"{name} takes {expected}")
        args = [self.compile(arg) for arg in node.args]
        if name in _UNARY_FUNCTIONS:
            function, (only,) = _UNARY_FUNCTIONS[name], args
            return lambda env: function(only(env))
        if name in ("min", "max"):
            reduce = np.minimum if name == "min" else np.maximum
            return lambda env: functools.reduce(reduce, [a(env) for a in args])
        if name == "where":
            cond, if_true, if_false = args
            return lambda env: np.where(cond(env) != 0, if_true(env), if_false(env))
        return lambda env: _piecewise([a(env) for a in args])
