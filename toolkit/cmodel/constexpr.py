"""Integer constant expressions of the C preprocessor (`#define` bodies, `#if` conditions), evaluated
with the values of object-like macros, as C computes them."""

from __future__ import annotations

import re

# A token of a #define body or #if expression: number (`0xCC`, `5UL`), name, or operator.
_TOKEN = re.compile(r"\s*(?:(0[xX][0-9a-fA-F]+|\d+)[uUlL]*|([A-Za-z_]\w*)|(<<|>>|<=|>=|==|!=|&&|"
                    r"\|\||[-+*/%&|^~!()<>?:]))")
_BINARY = {  # operator: (precedence, function); C's precedence, higher binds tighter
    "*": (10, lambda a, b: a * b), "/": (10, lambda a, b: _c_div(a, b)),
    "%": (10, lambda a, b: a - b * _c_div(a, b)), "+": (9, lambda a, b: a + b),
    "-": (9, lambda a, b: a - b), "<<": (8, lambda a, b: a << b), ">>": (8, lambda a, b: a >> b),
    "<": (7, lambda a, b: int(a < b)), ">": (7, lambda a, b: int(a > b)),
    "<=": (7, lambda a, b: int(a <= b)), ">=": (7, lambda a, b: int(a >= b)),
    "==": (6, lambda a, b: int(a == b)), "!=": (6, lambda a, b: int(a != b)),
    "&": (5, lambda a, b: a & b), "^": (4, lambda a, b: a ^ b), "|": (3, lambda a, b: a | b),
    "&&": (2, lambda a, b: int(bool(a) and bool(b))), "||": (1, lambda a, b: int(bool(a) or bool(b))),
}


class _NotConstant(Exception):
    pass


def _c_div(a: int, b: int) -> int:
    if b == 0:
        raise _NotConstant
    quotient = abs(a) // abs(b)
    return quotient if (a < 0) == (b < 0) else -quotient


def evaluate(expression: str, macros: dict[str, str]) -> int | None:
    """The value of an integer constant expression whose names are object-like `macros` (name →
    body), or None when it is not one (a cast, a call, a name without a value)."""
    try:
        return _Evaluator(macros).run(expression, frozenset())
    except (_NotConstant, RecursionError):
        return None


class _Evaluator:
    def __init__(self, macros: dict[str, str]) -> None:
        self.macros = macros

    def run(self, expression: str, expanding: frozenset[str]) -> int:
        self.tokens = self._tokenize(expression)
        self.expanding = expanding
        self.at = 0
        if not self.tokens:
            raise _NotConstant
        value = self.ternary()
        if self.at != len(self.tokens):
            raise _NotConstant
        return value

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

    def unary(self) -> int:
        kind, value = self.take()
        if kind == "n":
            return int(value, 0) if not re.fullmatch(r"0\d+", value) else int(value, 8)
        if kind == "i":
            if value == "defined":
                return self._defined()
            if value not in self.macros or value in self.expanding:
                raise _NotConstant
            return _Evaluator(self.macros).run(self.macros[value], self.expanding | {value})
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
