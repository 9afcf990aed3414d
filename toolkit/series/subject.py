"""The prefixes of a patch mail's subject line: reply markers, [PATCH vR k/N] tags, RFC, RESEND.

Accepts what b4 and patchwork accept and a little more: `[RFC][PATCH v2 2/3]`, `[PATCHv3 01/27]`,
`[PATCH net-next v2 3/5]`, `[PATCH v6,19/24]`, `PATCH1/8 ...` without brackets, `[PATCH 1 of 8]`,
`Re:`/`Fwd:` in front of any of these.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# "Re: ", "RE: ", "Re[2]: ", "Aw: ", "Fwd: ", "Fw: " in front of a subject, and what Chinese and
# Japanese mail clients write there ("回复：", "答复:", "返信:"; "转发:"), a full-width colon included.
_REPLY = re.compile(r"(?i)(re|aw|sv|\u56de\u590d|\u7b54\u590d|\u56de\u8986|\u7b54\u8986|\u8fd4\u4fe1)(\[\d+\])?[:\uff1a]\s*")
_FORWARD = re.compile(r"(?i)(fwd?|\u8f6c\u53d1|\u8f49\u5bc4|\u8ee2\u9001)(\[\d+\])?[:\uff1a]\s*")
# "[PATCH v2 2/3]", "[RFC]": one bracketed group at the start.
_BRACKET = re.compile(r"\[([^\[\]]*)\]\s*")
# "PATCH1/8 x86: ...", "PATCH v2 3/5: ...": tags written without brackets.
_BARE = re.compile(r"(PATCH(?:v\d+)?(?:[ ,]+(?:v\d+|RFC|RESEND|\d+/\d+))*|PATCH\d+/\d+)\s*:?\s+")
# Tokens inside the tags: "v2", "PATCHv3", "2/3", "PATCH1/8".
_REVISION = re.compile(r"(?i)v(\d+)")
_WORD_REVISION = re.compile(r"(?i)(PATCH|RFC)v(\d+)")
_COUNTER = re.compile(r"(\d+)/(\d+)")
_WORD_COUNTER = re.compile(r"(?i)(PATCH)(\d+)/(\d+)")
#: Numbers in a subject are read up to this (a series or revision number beyond it is no real
#: one): a number of thousands of digits would cost a quadratic conversion, or fail it.
NUMBER_CAP = 10 ** 9


@dataclass(frozen=True, slots=True)
class Subject:
    """A parsed subject; `str()` gives the subject line back as it was written.

    `prefixes` are the tag words other than the counter and the revision, in order (e.g.
    ('RFC', 'PATCH', 'net-next')). `counter`/`expected` are k and N of k/N (None when absent).
    `revision_given` tells an explicit vN from the default 1.
    """

    raw: str
    text: str
    prefixes: tuple[str, ...]
    revision: int
    revision_given: bool
    counter: int | None
    expected: int | None
    reply: bool
    forward: bool

    @property
    def is_patch(self) -> bool:
        return "PATCH" in (p.upper() for p in self.prefixes) or self.counter is not None

    @property
    def rfc(self) -> bool:
        return "RFC" in (p.upper() for p in self.prefixes)

    @property
    def resend(self) -> bool:
        return "RESEND" in (p.upper() for p in self.prefixes)

    def __str__(self) -> str:
        return self.raw


def parse_subject(raw: str | None) -> Subject:
    """Parse a subject line; a missing subject parses as an empty one."""
    rest = " ".join((raw or "").split())
    reply = forward = False
    tags: list[str] = []
    while True:
        if found := _REPLY.match(rest):
            reply = True
        elif found := _FORWARD.match(rest):
            forward = True
        elif found := _BRACKET.match(rest):
            tags.append(found.group(1))
        elif found := _BARE.match(rest):
            tags.append(found.group(1))
        else:
            break
        rest = rest[found.end():]
    if tags:
        # "[Patch]: subject", as some mailers' users write it
        rest = rest.removeprefix(":").lstrip()
    prefixes: list[str] = []
    revision, revision_given, counter, expected = 1, False, None, None
    for tag in tags:
        words = tag.replace(",", " ").split()
        i = 0
        while i < len(words):
            word = words[i]
            if m := _WORD_COUNTER.fullmatch(word):
                prefixes.append(m.group(1))
                counter, expected = _number(m.group(2)), _number(m.group(3))
            elif m := _COUNTER.fullmatch(word):
                counter, expected = _number(m.group(1)), _number(m.group(2))
            elif m := _WORD_REVISION.fullmatch(word):
                prefixes.append(m.group(1))
                revision, revision_given = _number(m.group(2)), True
            elif m := _REVISION.fullmatch(word):
                revision, revision_given = _number(m.group(1)), True
            elif word.isdecimal() and i + 2 < len(words) and words[i + 1].lower() == "of" \
                    and words[i + 2].isdecimal():
                counter, expected = _number(word), _number(words[i + 2])
                i += 2
            else:
                prefixes.append(word)
            i += 1
    return Subject(raw=raw or "", text=rest, prefixes=tuple(prefixes), revision=revision,
                   revision_given=revision_given, counter=counter, expected=expected,
                   reply=reply, forward=forward)


def _number(digits: str) -> int:
    """The number `digits` write, at most NUMBER_CAP."""
    digits = digits.lstrip("0") or "0"
    return int(digits) if len(digits) < 10 else NUMBER_CAP
