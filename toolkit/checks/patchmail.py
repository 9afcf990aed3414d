"""Rules over one patch mail: its commit message, trailers, diffstat and added lines.

Each rule is a generator `(patch, ctx) -> Findings`; `ctx` (a rules.Context) knows the rule's name
and level and turns a remark into a Finding with both coordinates.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from toolkit.checks.context import Context
from toolkit.checks.findings import Finding, Location
from toolkit.checks.prose import not_prose, pasted_output
from toolkit.checks.spelling import Typo
from toolkit.mail.message import Line, Person
from toolkit.series.diff import DiffLine, FileDiff
from toolkit.series.model import Patch, Trailer
from toolkit.series.patch import person_of, plain_name, same_name

# Fixes: 0123456789ab ("subsystem: what the fixed commit did")
# A comment may follow, as on the stable address: `Fixes: 0123456789ab ("...") # 6.6.y`.
_GOOD_FIXES = re.compile(r'[0-9a-f]{12,40} \("[^\n]+"\)(?:\s+#.*)?')
# Fixes: b700e7f03df5 ("...")  — any Fixes: line; group 1 is its value
_FIXES_LINE = re.compile(r"\s*fixes:\s*(.*)", re.IGNORECASE)
# Signed-off-by: Alice Example <alice@example.org>
_SIGN_OFF_LINE = re.compile(r"\s*signed-off-by:", re.IGNORECASE)
# Subject tags of a diff shown, not offered: "[DEMO]", "[PATCH DO NOT MERGE]", "[DNM PATCH]".
# A sign-off certifies a contribution; a demonstration asks for none.
_NOT_FOR_MERGING = re.compile(r"(?i)\b(?:DEMO|DNM|NOT[ -]FOR[ -]MERGE|DO[ -]NOT[ -]MERGE)\b")
# Cc: stable@vger.kernel.org    Cc: <stable@vger.kernel.org> # 5.1.x
_STABLE_MENTION = re.compile(r"\bstable@(?:vger\.)?kernel\.org\b", re.IGNORECASE)
# "<stable@vger.kernel.org> # 6.1+", "stable@kernel.org": the stable address with no display name,
# and a comment only after '#' (what checkpatch.pl accepts).
_GOOD_STABLE = re.compile(r"<?stable@(?:vger\.)?kernel\.org>?\s*(?:#.*)?", re.IGNORECASE)
# Changes in v2:   Changes since v1   v1 -> v2:   v3:   Changelog:   ---v2
_CHANGELOG = re.compile(
    r"\s*(?:changes\s+(?:in|since|from)\s+v\d+|v\d+\s*(?:->|\.\.|to)\s*v\d+"
    r"|v\d+\s*:|change\s*log\s*:|-{2,}\s*v\d+\b)", re.IGNORECASE)
# "x86/alternatives: ", "media: synopsys: hdmirx: ": the subsystem prefixes of a subject.
_SUBSYSTEMS = re.compile(r"(?:[^\s:]+: )*")
# What of a diff line is no code: a comment ("/* ... */", "// ...", " * ..." inside one, "# ..."
# in a script) or a string literal.
_NOT_CODE = re.compile(r'/\*.*?(?:\*/|$)|//.*|^\s*\*.*|^\s*#(?!\s*(?:define|if|include)).*'
                       r'|"(?:[^"\\]|\\.)*"')
#: longest commit-log line (git log indents by 4, leaving 75 of 80 columns)
MAX_LOG_COLUMNS = 75


def missing_sign_off(patch: Patch, ctx: Context) -> Iterator[Finding]:
    if _named(patch.trailers, "signed-off-by") or _NOT_FOR_MERGING.search(
            " ".join(patch.prefixes)):
        return
    stray = [k for k, line in enumerate(patch.message) if _SIGN_OFF_LINE.match(line.text)]
    if stray:
        line = patch.message[stray[0]]
        after = patch.message[stray[0] + 1:]
        if any(not ln.text.strip() for ln in after) and any(ln.text.strip() for ln in after):
            why = "is cut off from the trailer block by a blank line"
        else:
            why = "stands in a paragraph of mostly text, which git does not read as trailers"
        yield ctx.finding(patch, f"Signed-off-by: {why}, so git and b4 do not see it", line.at,
                          line=line.text)
        return
    at = patch.separator_at or _last_at(patch.message) or patch.subject_at or patch.at
    yield ctx.finding(patch, "Missing Signed-off-by: line(s)", at)


def no_author_sign_off(patch: Patch, ctx: Context) -> Iterator[Finding]:
    sign_offs = _named(patch.trailers, "signed-off-by")
    same = _identities(patch)
    if sign_offs and not any(same(t.person, patch.author) for t in sign_offs):
        # the author's sign-off may stand above the trailer block, cut off by a blank line
        cut_off = next((line for line in patch.message if _SIGN_OFF_LINE.match(line.text)
                        and same(person_of(line.text.split(":", 1)[1]), patch.author)), None)
        if cut_off is not None and patch.stable:
            return  # a backport: the upstream chain, then a blank line and the backporter's
        if cut_off is not None:
            yield ctx.finding(patch, f"the Signed-off-by: of patch author '{patch.author}' stands "
                                     f"above the trailer block, cut off by a blank line, so git "
                                     f"and b4 do not see it", cut_off.at, line=cut_off.text,
                              author=str(patch.author))
            return
        yield ctx.finding(patch, f"Missing Signed-off-by: line by nominal patch author "
                                 f"'{patch.author}'", sign_offs[0].at, line=str(sign_offs[0]),
                          author=str(patch.author))


def bad_fixes_tag(patch: Patch, ctx: Context) -> Iterator[Finding]:
    for at, value, line in _fixes_tags(patch):
        if not _GOOD_FIXES.fullmatch(value.strip()):
            yield ctx.finding(patch, "Please use a 12+ hex digit commit id and the subject on one "
                                     "line: 'Fixes: <id> (\"<subject>\")'", at, line=line)


# "treewide: fix typos", "docs: correct spelling mistakes": a patch whose message quotes typos.
_FIXES_TYPOS = re.compile(r"(?i)\b(typos?|spelling|misspell\w*)\b")
# "0001-fix.patch", "quirk.diff": a file that is itself a patch keeps its own trailing spaces.
_PATCH_FILES = (".patch", ".diff")
# "drm/msm: ...", "drm: ...": the DRM subsystem asks for version notes in the commit message.
_DRM = re.compile(r"drm\b", re.IGNORECASE)


def typo_spelling(patch: Patch, ctx: Context) -> Iterator[Finding]:
    # codespell's dictionary judges prose only: not the names the diff's code uses (its
    # comments and strings aside: a typo there is no name) nor those of the people the mail
    # shows ("Ines" is no misspelt "Lines")
    people = (patch.author, patch.sender, *patch.to, *patch.cc,
              *(t.person for t in patch.trailers if t.person is not None))
    code = (_NOT_CODE.sub(" ", ln.text) for _, ln in _diff_lines(patch))
    names = frozenset(word.lower() for text in (*code, *(p.name for p in people))
                      for word in re.findall(r"[A-Za-z_]\w*", text))
    # "media: synopsys: hdmirx: Use ...": the subsystem prefixes of a subject name code
    prefixes = len(_SUBSYSTEMS.match(patch.subject).group())
    for typo in ctx.spelling.prose_typos(patch.subject[prefixes:], names):
        yield _typo(patch, ctx, Typo(typo.word, typo.correction, typo.column + prefixes),
                    patch.subject_at, None, patch.subject)
    # a patch that fixes typos names them in its message ("s/recieve/receive/")
    quoting = _FIXES_TYPOS.search(patch.subject) is not None
    evidence = False
    for line in patch.message if not quoting else ():
        if evidence and line.text[:1].isspace() and line.text.strip():
            continue    # the wrapped rest of pasted output, which quotes the code as it stands
        evidence = pasted_output(line.text)
        # an indented line is judged by what it holds (a cover letter's list of titles is prose)
        typos = (ctx.spelling.typos(line.text) if not_prose(line.text.lstrip())
                 else ctx.spelling.prose_typos(line.text, names))
        for typo in typos:
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
        if len(text) > MAX_LOG_COLUMNS and not not_prose(text):
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
        if diff.path.endswith(_PATCH_FILES):
            continue        # a patch file added as it is: its blank context lines are " \n"
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
    # commit notification sends for someone without passing anything on. A stable queue's review
    # posting and a re-post of patches a maintainer already took (a Link: to where they were
    # taken from) relay sign-off chains that others ended.
    if not sign_offs or patch.relayed or patch.stable or _taken_from_elsewhere(patch):
        return
    same = _identities(patch)
    last = sign_offs[-1]
    # a sender who signed off earlier in the chain (a co-developer posting the series, say)
    # certified it; the remark is for one who passed it on without. A sender known only by an
    # address no signer uses is most often a signer's private one: no remark without a name.
    if patch.sender is not None and patch.sender.name and not same(
            patch.sender, patch.author) and not any(same(t.person, patch.sender)
                                                    for t in sign_offs):
        yield ctx.finding(patch, f"the patch by '{patch.author}' was sent by '{patch.sender}', who "
                                 f"did not sign off; whoever passes a patch on adds their "
                                 f"Signed-off-by: last",
                          last.at, line=str(last), sender=str(patch.sender))


def _taken_from_elsewhere(patch: Patch) -> bool:
    """Whether a Link: or Message-ID: trailer names another mail: the patch was applied from
    that posting, and this mail re-posts it as queued."""
    own = (patch.msgid or "").strip("<>").lower()
    return any(t.name.lower() in ("link", "message-id") and "@" in t.value
               and (not own or own not in t.value.lower()) for t in patch.trailers)


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
    if _DRM.match(patch.subject):
        return              # DRM keeps the version notes in the commit message, by its rules
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
        words = [w for w in plain_name(trailer.person.name).split() if len(w) > 2]
        return any(w in local for w in words)
    return same_name(trailer.person.name, person.name)


def _identities(patch: Patch) -> Callable[[Person | None, Person], bool]:
    """Whether two people of a patch are one, as the mail itself shows it: one address, one
    name, or a name and an address that the mail's headers or trailers put together (From:
    and X-Original-From:, a Cc: of the same name, a sign-off of the same address) — the aliases
    a .mailmap would list, where the mail names them."""
    parent: dict[str, str] = {}

    def root(key: str) -> str:
        while parent.setdefault(key, key) != key:
            key = parent[key]
        return key

    def keys(person: Person) -> list[str]:
        name = plain_name(person.name)
        return [f"@{person.email.lower()}"] + ([f"#{name}"] if name else [])

    people = (*patch.aliases, *patch.to, *patch.cc, patch.author, patch.sender,
              *(t.person for t in patch.trailers if t.person is not None))
    for person in people:
        first, *rest = keys(person)
        for key in rest:
            parent[root(key)] = root(first)

    def same(one: Person | None, other: Person) -> bool:
        if one is None:
            return False
        if _same_person(Trailer("", "", None, one), other):
            return True
        return any(root(a) == root(b) for a in keys(one) for b in keys(other))
    return same


def _last_at(lines: tuple[Line, ...]) -> int | None:
    return next((line.at for line in reversed(lines) if line.at is not None), None)


def _fixes_tags(patch: Patch) -> Iterator[tuple[int | None, str, str]]:
    for trailer in _named(patch.trailers, "fixes"):
        yield trailer.at, trailer.value, str(trailer)
    for line in patch.message:
        match = _FIXES_LINE.fullmatch(line.text)
        if match:
            yield line.at, match.group(1), line.text


def _added_lines(patch: Patch) -> Iterator[tuple[FileDiff, DiffLine]]:
    return ((diff, line) for diff, line in _diff_lines(patch) if line.kind == "+")


def _diff_lines(patch: Patch) -> Iterator[tuple[FileDiff, DiffLine]]:
    for diff in patch.files:
        for hunk in diff.hunks:
            for line in hunk.lines:
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
    if stated.startswith("...") and "}" in stated and "{" not in stated:
        # cut so short that only the new side's tail is left: ".../linux/cdx}/bitfield.h"
        return None, stated.replace("}", "", 1)
    if " => " in stated:
        old, new = stated.split(" => ", 1)
        return old, new
    return None, stated


def _ends_with(path: str, stated: str) -> bool:
    """Whether `path` is the file a possibly shortened or prefix-less name stands for."""
    # git cuts a long name anywhere, also inside a word: ".../asm/x.h", "...nd-helpers.patch"
    tail = stated[3:] if stated.startswith("...") else stated
    return path == tail or path.endswith("/" + tail) or (stated.startswith("...") and (
        path.endswith(tail) or path == tail.lstrip("/")))
