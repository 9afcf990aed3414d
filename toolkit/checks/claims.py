"""What a commit message claims to change, compared with what its patch's diff changes.

A sentence *claims* a change when it says that this patch makes it: in the imperative, as kernel
commit messages are written ("Copy the frame lower and leave a gap", "Add the helpers"), with
"this patch" as its subject ("This patch adds ..."), or in the passive of what was done ("the
helpers were also added"). Everything else is context: the present tense describes how the code
stands ("the entry code leaves a gap below the frame; use it to push ..."), a change attributed
elsewhere ("the previous patch", "patch 1") or stated as a precondition ("now that the entry
leaves a gap, ...") is history. Only claims are judged; the vocabulary is that of the int3 path.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from toolkit import lazy
from toolkit.checks.context import Context
from toolkit.checks.findings import Finding
from toolkit.mail.message import Line
from toolkit.series.model import Patch, Series
from toolkit.x86 import HELPER_PREFIX, TEXT_PATCHING_H

# The blocks load the header model (pycparser), which most patches never need.
blocks = lazy.module("toolkit.states.blocks")

#: What a change to the int3 path can be, with the phrases that claim it.
CLAIMS = {
    # "copies the exception frame lower", "leaves a gap", "create_gap", "makes room on the stack"
    "the entry gap": re.compile(
        r"\bcop(?:y|ies|ied|ying)\b(?:\s+\w+){0,4}?\s+frames?\b"
        r"|\b(?:leave|leaves|left|make|makes|made|create|creates|created|add|adds|added)"
        r"\b(?:\s+\w+){0,3}?\s+(?:gap|room|space)\b"
        r"|\bcreate_gap\b", re.IGNORECASE),
    # "the helper functions were also added", "add the helpers", "introduce int3_emulate_call()"
    "the int3 emulation helpers": re.compile(
        r"\b(?:helpers?|helper functions?|int3_emulate_\w+(?:\(\))?)\s+(?:were|was|are|is)"
        r"\s+(?:also\s+)?(?:added|introduced)\b"
        r"|\b(?:add|adds|added|introduce|introduces|introduced)\b(?:\s+\w+){0,3}?\s+"
        r"(?:helpers?|helper functions?|int3_emulate_\w+)", re.IGNORECASE),
    # "make the ftrace breakpoint handler emulate a call"
    "a handler that uses the helpers": re.compile(
        r"\b(?:make|makes|made|let|lets)\s+the\s+(?:\w+\s+){0,3}handlers?\s+emulate\b"
        r"|\bhandlers?\s+(?:now\s+)?(?:uses?|calls?)\s+int3_emulate_\w+", re.IGNORECASE),
}

# "the previous patch", "patch 1", "in this series": the change is said to be made elsewhere.
_ELSEWHERE = re.compile(
    r"\b(?:previous|preceding|earlier|next|following|later|other|first|second|third|last)\s+"
    r"(?:patch|commit|change)|\b(?:patch|commit)\s+\d+\b|\bthis series\b|\balready\b"
    r"|\bcurrently\b", re.IGNORECASE)
# "Now that X, ...", "Since X, ...", "To make room, ...": a precondition or a purpose, up to the
# comma or semicolon that ends it.
_PRECONDITION = re.compile(
    r"^\s*(?:now\s+that|since|because|as|once|given\s+that|with|after|when|to)\b[^,;:]*[,;:]",
    re.IGNORECASE)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")
_ALSO = re.compile(r"\balso\b", re.IGNORECASE)
# What may stand before an imperative verb in its clause: "Also add", "So, make", "Instead copy".
_BEFORE_IMPERATIVE = re.compile(
    r"^(?:(?:also|so|then|instead|therefore|thus|now|simply|just|finally|first|and|but)\b[\s,]*)*",
    re.IGNORECASE)
# "This patch adds", "this commit also makes", "The patch below introduces": the patch as the
# subject of the clause.
_THIS_PATCH = re.compile(r"\s*(?:this|the)\s+(?:patch|commit|change)\b", re.IGNORECASE)
# "Make the entry leave room", "Let the handler emulate": an imperative that has another do it.
_CAUSATIVE = re.compile(r"(?:make|let|have)\b", re.IGNORECASE)
# "were also added", "is introduced": a change told in the passive, which is this patch's.
_PASSIVE = re.compile(r"\b(?:were|was|are|is|been)\s+(?:also\s+)?(?:added|introduced)\b",
                      re.IGNORECASE)
# Where a clause starts within a sentence: after ";", ":", ", and"/" and", or ", so".
_CLAUSE_START = re.compile(r"(?:[;:]|,?\s+and\s+|,\s*so\s+|,\s*then\s+)", re.IGNORECASE)
# Verbs in their base form, as an imperative is written ("copy", not "copies" or "copied").
_BASE_FORMS = frozenset(("copy", "leave", "make", "create", "add", "introduce", "let", "use",
                         "call"))


@dataclass(frozen=True, slots=True)
class Claim:
    """A change one sentence of a message claims, the words that claim it, and where they are."""

    change: str
    words: str
    at: int | None
    also: bool = False      # worded as an addition to something else ("were also added")


def claims(message: tuple[Line, ...]) -> Iterator[Claim]:
    """The changes the paragraphs of `message` claim, one per change and paragraph."""
    for paragraph in _paragraphs(message):
        text = " ".join(line.text.strip() for line in paragraph)
        seen = set()
        for sentence in _SENTENCE_END.split(text):
            if _ELSEWHERE.search(sentence):
                continue
            own = _PRECONDITION.sub("", sentence)
            for change, pattern in CLAIMS.items():
                match = next((m for m in pattern.finditer(own) if _made_here(own, m)), None)
                if match and change not in seen:
                    seen.add(change)
                    yield Claim(change, match.group(0), _line_of(paragraph, match.group(0)),
                                bool(_ALSO.search(own)))


def _made_here(sentence: str, match: re.Match) -> bool:
    """Whether the claim words `match` say that this patch makes the change: an imperative verb
    opening its clause, "this patch" before the verb, or the passive; not a description."""
    if _PASSIVE.search(match.group(0)):
        return True
    words = match.group(0).split()
    # the named option itself (`create_gap`) is claimed only as a verb's object
    verb = words[0].lower() if words else ""
    before = sentence[:match.start()]
    clause = _BEFORE_IMPERATIVE.sub("", _CLAUSE_START.split(before)[-1].lstrip(" ,"))
    if _THIS_PATCH.match(clause) or _CAUSATIVE.match(clause):
        return True
    return verb in _BASE_FORMS and not clause.strip(" ,")


def changes(patch: Patch) -> set[str]:
    """The changes of CLAIMS that `patch`'s diff makes."""
    made = set()
    # helpers and their callers are named in added lines: without a name, no model is read
    names = any(HELPER_PREFIX in ln.text for diff in patch.files for h in diff.hunks
                for ln in h.lines if ln.kind == "+")
    for diff in patch.files:
        touched = {ln.new_line for h in diff.hunks for ln in h.lines if ln.kind == "+"}
        if diff.path.endswith(".S"):
            post = [(ln.new_line, ln.text) for h in diff.hunks for ln in h.lines
                    if ln.kind != "-" and ln.new_line is not None]
            gap = blocks.gap_block(post, diff.path, patch.index)
            if gap and touched & {n for n, _ in gap.lines}:
                made.add("the entry gap")
        elif names and diff.path != TEXT_PATCHING_H and blocks.added_uses(diff, patch.index):
            made.add("a handler that uses the helpers")
    if names and any(name.startswith(HELPER_PREFIX) for name in blocks.added_blocks(patch)):
        made.add("the int3 emulation helpers")
    return made


def other_patch_claims(patch: Patch, series: Series) -> Iterator[tuple[Claim, Patch]]:
    """Claims of `patch`'s message that its diff does not make but another patch does (named)."""
    own = changes(patch)
    makers = [(other, changes(other)) for other in series.patches if other is not patch]
    for claim in claims(patch.message):
        if claim.change in own:
            continue
        maker = next((other for other, made in makers if claim.change in made), None)
        if maker is not None:
            yield claim, maker


def stale_also(patch: Patch, elsewhere: list[tuple[Claim, Patch]]) -> Iterator[Claim]:
    """Claims of a change `patch` does make, worded as an addition ("the helpers were also
    added") while the other change its message claims is made by another patch (`elsewhere`, from
    other_patch_claims): an "also" left over from a version of the patch that did both."""
    if not elsewhere:
        return
    own = changes(patch)
    yield from (claim for claim in claims(patch.message) if claim.also and claim.change in own)


def _paragraphs(message: tuple[Line, ...]) -> Iterator[list[Line]]:
    paragraph: list[Line] = []
    for line in (*message, Line("", None)):
        # indented lines are lists and quoted output, not prose claims
        if line.text.strip() and not line.text.startswith((" ", "\t", ">")):
            paragraph.append(line)
        elif paragraph:
            yield paragraph
            paragraph = []


def _line_of(paragraph: list[Line], words: str) -> int | None:
    first = words.split()[0].lower()
    return next((line.at for line in paragraph if first in line.text.lower()), paragraph[0].at)


def commit_log_other_patch(patch: Patch, ctx: Context) -> Iterator[Finding]:
    text = {line.at: line.text for line in patch.message}
    elsewhere = list(other_patch_claims(patch, ctx.series))
    for claim, maker in elsewhere:
        yield ctx.finding(
            patch, f"the message claims {claim.change} ('{claim.words}'), which this patch does "
                   f"not change: patch {maker.index}/{maker.total} ('{maker.subject}') does",
            claim.at, line=text.get(claim.at), change=claim.change, words=claim.words,
            made_by=maker.index)
    for claim in stale_also(patch, elsewhere):
        maker = elsewhere[0][1]
        yield ctx.finding(
            patch, f"'{claim.words}': the 'also' is left over, the change it adds to is patch "
                   f"{maker.index}/{maker.total}'s, not this patch's",
            claim.at, line=text.get(claim.at), change=claim.change, words=claim.words,
            made_by=maker.index)
