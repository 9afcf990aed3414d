"""Integer constant expressions of the C preprocessor (`#define` bodies, `#if` conditions), evaluated
with the values of object-like macros, as C computes them.

The macros may come from a mail, so evaluation is bounded: each macro's value is worked out once
(`#define`s that each use the one before twice would otherwise double the work with every line),
an evaluation stops after STEPS tokens, and a value beyond 64 bits (which C would have wrapped)
or a shift beyond them is no constant."""

from __future__ import annotations

import re

# A token of a #define body or #if expression: number (`0xCC`, `5UL`), name, or operator.
_TOKEN = re.compile(r"\s*(?:(0[xX][0-9a-fA-F]+|\d+)[uUlL]*|([A-Za-z_]\w*)|(<<|>>|<=|>=|==|!=|&&|"
                    r"\|\||[-+*/%&|^~!()<>?:]))")
_BINARY = {  # operator: (precedence, function); C's precedence, higher binds tighter
    "*": (10, lambda a, b: a * b), "/": (10, lambda a, b: _c_div(a, b)),
    "%": (10, lambda a, b: a - b * _c_div(a, b)), "+": (9, lambda a, b: a + b),
    "-": (9, lambda a, b: a - b), "<<": (8, lambda a, b: _shift(a, b, True)), ">>": (8, lambda a, b: _shift(a, b, False)),
    "<": (7, lambda a, b: int(a < b)), ">": (7, lambda a, b: int(a > b)),
    "<=": (7, lambda a, b: int(a <= b)), ">=": (7, lambda a, b: int(a >= b)),
    "==": (6, lambda a, b: int(a == b)), "!=": (6, lambda a, b: int(a != b)),
    "&": (5, lambda a, b: a & b), "^": (4, lambda a, b: a ^ b), "|": (3, lambda a, b: a | b),
    "&&": (2, lambda a, b: int(bool(a) and bool(b))), "||": (1, lambda a, b: int(bool(a) or bool(b))),
}


#: Tokens one evaluation may read, macro bodies included: a kernel header's deepest constant
#: takes a few hundred.
STEPS = 100_000
_LIMIT = 1 << 64


class _NotConstant(Exception):
    pass


def _shift(a: int, b: int, left: bool) -> int:
    if not 0 <= b < 64:
        raise _NotConstant
    return a << b if left else a >> b


def _c_div(a: int, b: int) -> int:
    if b == 0:
        raise _NotConstant
    quotient = abs(a) // abs(b)
    return quotient if (a < 0) == (b < 0) else -quotient


def evaluate(expression: str, macros: dict[str, str],
             values: dict[str, int | None] | None = None) -> int | None:
    """The value of an integer constant expression whose names are object-like `macros` (name →
    body), or None when it is not one (a cast, a call, a name without a value, more than STEPS
    tokens to read). `values` remembers the macros' values across calls with the same `macros`."""
    try:
        return _Evaluator(macros, {} if values is None else values, [STEPS]).run(
            expression, frozenset())
    except (_NotConstant, RecursionError):
        return None


class _Evaluator:
    def __init__(self, macros: dict[str, str], values: dict[str, int | None],
                 steps: list[int]) -> None:
        self.macros, self.values, self.steps = macros, values, steps

    def run(self, expression: str, expanding: frozenset[str]) -> int:
        self.tokens = self._tokenize(expression)
        self.steps[0] -= len(self.tokens)
        if self.steps[0] < 0:
            raise _NotConstant
        self.expanding = expanding
        self.at = 0
        if not self.tokens:
            raise _NotConstant
        value = self.ternary()
        if self.at != len(self.tokens) or not -_LIMIT <= value < _LIMIT:
            raise _NotConstant
        return value

    def _macro(self, name: str) -> int:
        """The value of macro `name`, worked out once: it does not depend on where it is used
        (a macro that reaches itself has none anywhere)."""
        if name not in self.values:
            try:
                value = _Evaluator(self.macros, self.values, self.steps).run(
                    self.macros[name], self.expanding | {name})
            except _NotConstant:
                if self.steps[0] < 0:
                    raise           # out of steps: no verdict on this macro
                value = None
            self.values[name] = value
        if self.values[name] is None:
            raise _NotConstant
        return self.values[name]

    @staticmethod
    def _tokenize(expression: str) -> list[tuple[str, str]]:
        tokens = []
        offset = 0
        expression = expression.rstrip()
        while offset < len(expression):
            match = _TOKEN.match(expression, offset)
            if match is None:
                raise _NotConstant
            number, name, operator = match.groups()
            tokens.append(("n", number) if number else ("i", name) if name else ("o", operator))
            offset = match.end()
        return tokens

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise _NotConstant
        self.at += 1
        return token

    def ternary(self) -> int:
        condition = self.binary(1)
        if self.peek() == ("o", "?"):
            self.take()
            yes = self.ternary()
            if self.take() != ("o", ":"):
                raise _NotConstant
            no = self.ternary()
            return yes if condition else no
        return condition

    def binary(self, minimum: int) -> int:
        left = self.unary()
        while True:
            token = self.peek()
            if token is None or token[0] != "o" or token[1] not in _BINARY:
                return left
            precedence, apply = _BINARY[token[1]]
            if precedence < minimum:
                return left
            self.take()
            left = apply(left, self.binary(precedence + 1))
            if not -_LIMIT <= left < _LIMIT:
                raise _NotConstant

    def unary(self) -> int:
        kind, value = self.take()
        if kind == "n":
            return int(value, 0) if not re.fullmatch(r"0\d+", value) else int(value, 8)
        if kind == "i":
            if value == "defined":
                return self._defined()
            if value not in self.macros or value in self.expanding:
                raise _NotConstant
            return self._macro(value)
        if value == "(":
            inner = self.ternary()
            if self.take() != ("o", ")"):
                raise _NotConstant
            return inner
        operand = self.unary()
        if value == "-":
            return -operand
        if value == "+":
            return operand
        if value == "~":
            return ~operand
        if value == "!":
            return int(not operand)
        raise _NotConstant

    def _defined(self) -> int:
        token = self.take()
        if token == ("o", "("):
            name = self.take()
            if self.take() != ("o", ")"):
                raise _NotConstant
        else:
            name = token
        return int(name[1] in self.macros)
