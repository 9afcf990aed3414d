"""Rules over one patch mail: its commit message, trailers, diffstat and added lines.

Each rule is a generator `(patch, ctx) -> Findings`; `ctx` (a rules.Context) knows the rule's name
and level and turns a remark into a Finding with both coordinates.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from toolkit.checks.context import Context
from toolkit.checks.findings import Finding, Location
from toolkit.checks.spelling import Typo
from toolkit.mail.message import Line, Person
from toolkit.series.diff import DiffLine, FileDiff
from toolkit.series.model import Patch, Trailer

# Fixes: 0123456789ab ("subsystem: what the fixed commit did")
_GOOD_FIXES = re.compile(r'[0-9a-f]{12,40} \("[^\n]+"\)')
# Fixes: b700e7f03df5 ("...")  — any Fixes: line; group 1 is its value
_FIXES_LINE = re.compile(r"\s*fixes:\s*(.*)", re.IGNORECASE)
# Signed-off-by: Alice Example <alice@example.org>
_SIGN_OFF_LINE = re.compile(r"\s*signed-off-by:", re.IGNORECASE)
# Cc: stable@vger.kernel.org    Cc: <stable@vger.kernel.org> # 5.1.x
_STABLE_MENTION = re.compile(r"\bstable@(?:vger\.)?kernel\.org\b", re.IGNORECASE)
# "<stable@vger.kernel.org> # 6.1+", "stable@kernel.org": the stable address with no display name,
# and a comment only after '#' (what checkpatch.pl accepts).
_GOOD_STABLE = re.compile(r"<?stable@(?:vger\.)?kernel\.org>?\s*(?:#.*)?", re.IGNORECASE)
# Changes in v2:   Changes since v1   v1 -> v2:   v3:   Changelog:   ---v2
_CHANGELOG = re.compile(
    r"\s*(?:changes\s+(?:in|since|from)\s+v\d+|v\d+\s*(?:->|\.\.|to)\s*v\d+"
    r"|v\d+\s*:|change\s*log\s*:|-{2,}\s*v\d+\b)", re.IGNORECASE)
# [   12.345678] a kernel log line, quoted as evidence
_LOG_LINE = re.compile(r"\s*\[\s*\d+\.\d+\]")
# Tool output pasted as evidence: "arch/x86/kernel/alternative.c:99:6: warning: ...",
# "vmlinux.o: warning: objtool: ...", "ffffffff81000000 <text_poke>:", "  12:	e8 00 00 ..."
_TOOL_OUTPUT = re.compile(r"\s*(?:[\w.+-]*/)*[\w.+-]+\.\w+:(?:\d+:|\s+(?:warning|error|note):)"
                          r"|\s*[0-9a-f]{8,16} <[^>]+>:|\s*[0-9a-f]+:\t")
# commit 0123456789ab ("x86/alternatives: ..."): a quoted commit title cannot be rewrapped
_COMMIT_QUOTE = re.compile(r".*\b[0-9a-f]{12,40} \(\".*\"\)", re.IGNORECASE)

#: longest commit-log line (git log indents by 4, leaving 75 of 80 columns)
MAX_LOG_COLUMNS = 75


def missing_sign_off(patch: Patch, ctx: Context) -> Iterator[Finding]:
    if _named(patch.trailers, "signed-off-by"):
        return
    stray = [line for line in patch.message if _SIGN_OFF_LINE.match(line.text)]
    if stray:
        yield ctx.finding(patch, "Signed-off-by: is cut off from the trailer block by a blank "
                                 "line, so git and b4 do not see it", stray[0].at,
                          line=stray[0].text)
        return
    at = patch.separator_at or _last_at(patch.message) or patch.subject_at or patch.at
    yield ctx.finding(patch, "Missing Signed-off-by: line(s)", at)


def no_author_sign_off(patch: Patch, ctx: Context) -> Iterator[Finding]:
    sign_offs = _named(patch.trailers, "signed-off-by")
    if sign_offs and not any(_same_person(t, patch.author) for t in sign_offs):
        yield ctx.finding(patch, f"Missing Signed-off-by: line by nominal patch author "
                                 f"'{patch.author}'", sign_offs[0].at, line=str(sign_offs[0]),
                          author=str(patch.author))


def bad_fixes_tag(patch: Patch, ctx: Context) -> Iterator[Finding]:
    for at, value, line in _fixes_tags(patch):
        if not _GOOD_FIXES.fullmatch(value.strip()):
            yield ctx.finding(patch, "Please use a 12+ hex digit commit id and the subject on one "
                                     "line: 'Fixes: <id> (\"<subject>\")'", at, line=line)


def typo_spelling(patch: Patch, ctx: Context) -> Iterator[Finding]:
    for line in (Line(patch.subject, patch.subject_at), *patch.message):
        for typo in ctx.spelling.typos(line.text):
            yield _typo(patch, ctx, typo, line.at, None, line.text)
    for diff, line in _added_lines(patch):
        for typo in ctx.spelling.typos(line.text):
            yield _typo(patch, ctx, typo, line.at, _post_image(diff, line), "+" + line.text)


def _typo(patch: Patch, ctx: Context, typo: Typo, at: int | None, file_at: Location | None,
          shown: str) -> Finding:
    return ctx.finding(patch, f"'{typo.word}' may be misspelled - perhaps '{typo.correction}'?",
                       at, file_at, line=shown, word=typo.word, correction=typo.correction,
                       column=typo.column + 1)


def commit_log_long_line(patch: Patch, ctx: Context) -> Iterator[Finding]:
    # Once per patch, as checkpatch.pl does: the author rewraps the message, not each line.
    for line in patch.message:
        text = line.text.rstrip("\r")
        if len(text) > MAX_LOG_COLUMNS and not _exempt_from_length(text):
            yield ctx.finding(patch, f"Prefer a maximum {MAX_LOG_COLUMNS} chars per line "
                                     f"(possible unwrapped commit description?)", line.at,
                              line=text, columns=len(text))
            return


def commit_message(patch: Patch, ctx: Context) -> Iterator[Finding]:
    if not any(line.text.strip() for line in patch.message):
        yield ctx.finding(patch, "Missing commit description - Add an appropriate one",
                          patch.subject_at or patch.at, line=patch.subject)


def trailing_whitespace(patch: Patch, ctx: Context) -> Iterator[Finding]:
    for diff, line in _added_lines(patch):
        if line.text.rstrip("\r") != line.text.rstrip("\r").rstrip(" \t"):
            yield ctx.finding(patch, "trailing whitespace", line.at, _post_image(diff, line),
                              line="+" + line.text)


def dos_line_endings(patch: Patch, ctx: Context) -> Iterator[Finding]:
    for diff, line in _added_lines(patch):
        if line.text.endswith("\r"):
            yield ctx.finding(patch, "DOS line endings", line.at, _post_image(diff, line),
                              line="+" + line.text)


def bad_stable_address_style(patch: Patch, ctx: Context) -> Iterator[Finding]:
    for trailer in patch.trailers:
        if _STABLE_MENTION.search(trailer.value) and not _GOOD_STABLE.fullmatch(
                trailer.value.strip()):
            yield ctx.finding(patch, f"Invalid email format for stable: '{trailer}', prefer "
                                     f"'Cc: stable@vger.kernel.org'", trailer.at, line=str(trailer))


def diffstat_mismatch(patch: Patch, ctx: Context) -> Iterator[Finding]:
    stat = patch.diffstat
    if stat is None or not patch.files:
        return
    by_path = {diff.path: diff for diff in patch.files}
    seen: set[str] = set()
    for entry in stat.entries:
        diff = _stated_file(entry.path, by_path, seen)
        if diff is None:
            yield ctx.finding(patch, f"diffstat lists {entry.path}, which the diff does not change",
                              entry.at or stat.at, path=entry.path)
            continue
        seen.add(diff.path)
        changed = diff.added + diff.removed
        if entry.changes is not None and not diff.binary and entry.changes != changed:
            yield ctx.finding(patch, f"diffstat says {entry.changes} lines of {diff.path} changed, "
                                     f"the diff changes {changed}", entry.at or stat.at,
                              path=diff.path, stated=entry.changes, actual=changed)
    for diff in patch.files:
        if diff.path not in seen:
            yield ctx.finding(patch, f"the diff changes {diff.path}, which the diffstat does "
                                     f"not list", stat.at or diff.at, path=diff.path)
    if stat.files_changed is None:
        return  # no "N files changed" line: there are no totals to compare
    totals = (("files changed", stat.files_changed, len(patch.files)),
              ("insertions", stat.insertions, sum(diff.added for diff in patch.files)),
              ("deletions", stat.deletions, sum(diff.removed for diff in patch.files)))
    for what, stated, actual in totals:
        if stated != actual:
            yield ctx.finding(patch, f"diffstat says {stated} {what}, the diff has {actual}",
                              stat.at, what=what, stated=stated, actual=actual)


def sign_off_chain(patch: Patch, ctx: Context) -> Iterator[Finding]:
    trailers = patch.trailers
    sign_offs = [t for t in trailers if t.name.lower() == "signed-off-by"]
    # Only a mail sent by someone other than its author shows who passed it on: `git
    # format-patch` output names the author as sender whoever exports it, and a list relay or a
    # commit notification sends for someone without passing anything on.
    if not sign_offs or patch.relayed:
        return
    last = sign_offs[-1]
    passed_on = patch.sender.email.lower() != patch.author.email.lower()
    if passed_on and not _same_person(last, patch.sender):
        yield ctx.finding(patch, f"the last sign-off is '{last.value}', but the patch was sent by "
                                 f"'{patch.sender}'; whoever passes a patch on signs off last",
                          last.at, line=str(last), sender=str(patch.sender))


def bad_co_developed_by(patch: Patch, ctx: Context) -> Iterator[Finding]:
    trailers = patch.trailers
    for i, trailer in enumerate(trailers):
        if trailer.name.lower() != "co-developed-by":
            continue
        following = trailers[i + 1] if i + 1 < len(trailers) else None
        if (following is None or following.name.lower() != "signed-off-by"
                or trailer.person is None or not _same_person(following, trailer.person)):
            yield ctx.finding(patch, f"'{trailer}' must be immediately followed by "
                                     f"'Signed-off-by: {trailer.value}'", trailer.at,
                              line=str(trailer))


def floating_fixes_tag(patch: Patch, ctx: Context) -> Iterator[Finding]:
    for line in patch.message:
        if _FIXES_LINE.fullmatch(line.text):
            yield ctx.finding(patch, "Fixes: tag stands apart from the trailers, between blank lines",
                              line.at, line=line.text)


def changelog_above_separator(patch: Patch, ctx: Context) -> Iterator[Finding]:
    for line in patch.message:
        if _CHANGELOG.match(line.text):
            yield ctx.finding(patch, "version changelog in the commit message; put it below the "
                                     "'---' line so that it stays out of git history",
                              line.at, line=line.text)
            return


def _named(trailers: tuple[Trailer, ...], name: str) -> list[Trailer]:
    return [t for t in trailers if t.name.lower() == name]


def _same_person(trailer: Trailer, person: Person) -> bool:
    """By address, or by name: one person signs with several addresses ("Jane Doe (Intel)" at
    work, "Jane Doe" at home); a sender without a name whose address holds the signer's
    surname ("<jdoe58@mail.example>") is taken for the signer too."""
    if trailer.person is None:
        return False
    if trailer.person.email.lower() == person.email.lower():
        return True
    if not person.name:
        local = person.email.split("@")[0].lower()
        words = [w for w in re.findall(r"[a-z]+", _plain_name(trailer.person.name)) if len(w) > 2]
        return bool(words) and words[-1] in local
    return bool(_plain_name(person.name)) and _plain_name(trailer.person.name) == _plain_name(
        person.name)


def _plain_name(name: str) -> str:
    """A name without the parenthesised employer and case: `Jane Doe (Intel)` -> `jane doe`."""
    return " ".join(re.sub(r"\([^()]*\)", " ", name).split()).casefold()


def _last_at(lines: tuple[Line, ...]) -> int | None:
    return next((line.at for line in reversed(lines) if line.at is not None), None)


def _fixes_tags(patch: Patch) -> Iterator[tuple[int | None, str, str]]:
    for trailer in _named(patch.trailers, "fixes"):
        yield trailer.at, trailer.value, str(trailer)
    for line in patch.message:
        match = _FIXES_LINE.fullmatch(line.text)
        if match:
            yield line.at, match.group(1), line.text


def _exempt_from_length(text: str) -> bool:
    # URLs cannot be wrapped; indented, quoted and kernel-log lines are evidence kept as printed.
    return ("://" in text or text[:1] in (" ", "\t", ">") or bool(_LOG_LINE.match(text))
            or bool(_FIXES_LINE.fullmatch(text)) or bool(_TOOL_OUTPUT.match(text))
            or bool(_COMMIT_QUOTE.match(text)))


def _added_lines(patch: Patch) -> Iterator[tuple[FileDiff, DiffLine]]:
    for diff in patch.files:
        for hunk in diff.hunks:
            for line in hunk.lines:
                if line.kind == "+":
                    yield diff, line


def _post_image(diff: FileDiff, line: DiffLine) -> Location:
    return Location(diff.path, line.new_line)


def _stated_file(stated: str, by_path: dict[str, FileDiff], taken: set[str]) -> FileDiff | None:
    """The file of the diff a diffstat line names (of those not `taken` by an earlier line,
    when several fit). git shortens a long name to its tail
    (`.../asm/text-patching.h`), even inside a rename (`.../{patch.h => text-patching.h}`,
    `.../asm => include/asm-generic}/orc.h`), and a diff made with a top folder of its own
    (`linux-2.6/include/...`, as quilt writes) names files below it."""
    old, new = _rename_sides(stated)
    if new in by_path:
        return by_path[new]
    matches = [diff for name, diff in by_path.items()
               if _ends_with(name, new) and (old is None or _ends_with(diff.old_path or "", old))]
    # git lists both in path order, so of several files a shortened name fits, the first one not
    # yet named is the one this line names
    fresh = [diff for diff in matches if diff.path not in taken]
    return (fresh or matches or [None])[0]


def _rename_sides(stated: str) -> tuple[str | None, str]:
    """The old name (None when not a rename) and the new name of a diffstat line, each possibly
    shortened to a tail: `a/{old => new}/c` -> (`a/old/c`, `a/new/c`)."""
    brace = re.fullmatch(r"(.*)\{(.*) => (.*)\}(.*)", stated)
    if brace:
        head, old, new, tail = brace.groups()
        return re.sub("/+", "/", head + old + tail), re.sub("/+", "/", head + new + tail)
    cut = re.fullmatch(r"\.\.\.(.*) => (.*)\}(.*)", stated)   # the "{" was shortened away
    if cut:
        return f"...{cut[1]}{cut[3]}", f"...{cut[2]}{cut[3]}"
    if stated.startswith("...") and stated.endswith("}"):
        return None, stated[:-1]
    if " => " in stated:
        old, new = stated.split(" => ", 1)
        return old, new
    return None, stated


def _ends_with(path: str, stated: str) -> bool:
    """Whether `path` is the file a possibly shortened or prefix-less name stands for."""
    # git cuts a long name anywhere, also inside a word: ".../asm/x.h", "...nd-helpers.patch"
    tail = stated[3:] if stated.startswith("...") else stated
    return path == tail or path.endswith("/" + tail) or (stated.startswith("...")
                                                         and path.endswith(tail))
