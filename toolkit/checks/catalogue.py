"""The catalogue of review rules: one table naming each rule, its level, its documentation and its check.

Names follow checkpatch.pl's message types where it makes the same check, so that a reviewer's
`--ignore` list carries over. This is the only module that imports the rule modules.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from toolkit.checks import applying, claims, code, emulation, numbering, patchmail, trial
from toolkit.checks.context import CheckRun, Context, Rule
from toolkit.checks.findings import Finding, Level
from toolkit.checks.spelling import Spelling
from toolkit.errors import UsageError
from toolkit.series.model import Series

if TYPE_CHECKING:
    from toolkit.states.int3path import Int3Paths

RULES: tuple[Rule, ...] = (
    Rule("MISSING_SIGN_OFF", Level.ERROR, "patch",
         "The patch has no Signed-off-by: trailer.",
         "a patch mail whose trailer block, as git interpret-trailers finds it (the last "
         "paragraph, with a Signed-off-by: and at least a quarter trailers), holds no "
         "Signed-off-by: line (reported at a Signed-off-by: line outside the block, if there is "
         "one). A reply that carries a patch below '---' or a scissors line with its own "
         "From:/Subject: lines is judged as that patch.",
         "The sign-off is the Developer's Certificate of Origin; a maintainer cannot apply a patch "
         "without it.",
         "Add 'Signed-off-by: Your Name <address>' (git commit -s) as the last trailer.",
         patchmail.missing_sign_off),
    Rule("NO_AUTHOR_SIGN_OFF", Level.WARNING, "patch",
         "Nobody of the patch author's name or address signed off.",
         "Signed-off-by: lines exist, but none is the author's: the author is who git mailinfo "
         "takes (the in-body From: line, else the mail's From:), with the sender a list or B4 "
         "Relay rewrote From: for taken from X-Original-From: or Reply-To:; one person is "
         "matched by address, by name, or by a name and address the mail shows together. An "
         "author's sign-off that a blank line parts from the trailer block is reported as cut "
         "off, except in a stable backport ('[ Upstream commit ... ]'), where the upstream chain "
         "stands above the backporter's sign-off.",
         "The author certifies the origin of their own work; a sign-off by someone else only "
         "certifies passing it on.",
         "Ask the author for their sign-off, or correct the From: line if the author is wrong.",
         patchmail.no_author_sign_off),
    Rule("BAD_FIXES_TAG", Level.WARNING, "patch",
         "A Fixes: tag is not '<12+ hex digits> (\"<subject>\")' on one line.",
         "a Fixes: trailer (or a Fixes: line in the message) whose value is not a 12 to 40 digit "
         "lower-case commit id, one space, and the commit's subject in (\"...\").",
         "Stable maintainers and scripts look the fixed commit up by its id; short ids become "
         "ambiguous as the history grows, and the subject lets a reader check the id.",
         "Copy the line that git log -1 --abbrev=12 --format='Fixes: %h (\"%s\")' <commit> "
         "prints, and keep it on one line however long.",
         patchmail.bad_fixes_tag),
    Rule("TYPO_SPELLING", Level.WARNING, "mail",
         "A word of the subject, commit message or an added line is a known misspelling.",
         "a word of the subject or the commit message that codespell's dictionary lists (as "
         "checkpatch.pl --codespell reads it; prose words only: not an identifier, an acronym, "
         "a name the diff uses or a person the mail names, a quoted word, a word under three "
         "letters, a kernel term (checks/kernel-terms.txt), or a line of pasted output), or a "
         "word of those or of a '+' line of the diff that scripts/spelling.txt of the tree "
         "given with --tree or toolkit/checks/spelling.txt lists.",
         "Messages stay in the history for good and comments are read by everyone after; a "
         "misspelt word also defeats a later grep for it.",
         "Use the suggested spelling.",
         patchmail.typo_spelling),
    Rule("COMMIT_LOG_LONG_LINE", Level.WARNING, "patch",
         f"A commit message line is longer than {patchmail.MAX_LOG_COLUMNS} columns.",
         f"a message line longer than {patchmail.MAX_LOG_COLUMNS} columns that is prose: not a "
         "URL, a Fixes:/Link: line, a quoted commit title, an indented (also by a no-break "
         "space) or '>'-quoted line, pasted tool output (compiler, assembler, linker, modpost, "
         "objtool, sparse, make), a kernel report or log line (oops, KASAN, lockdep, registers, "
         "stack frames, dmesg), a shell, C or Python line, or a table row "
         "(toolkit/checks/prose.py).",
         "git log indents the message by four columns; longer lines wrap on an 80-column "
         "terminal and in mail replies.",
         f"Re-wrap the paragraph at {patchmail.MAX_LOG_COLUMNS} columns or fewer.",
         patchmail.commit_log_long_line),
    Rule("COMMIT_MESSAGE", Level.WARNING, "patch",
         "The patch has no commit description.",
         "a patch whose commit message is empty apart from the subject and trailers.",
         "The message is where a reviewer and a later reader learn why the change is made.",
         "Describe the problem and why this change is the right fix.",
         patchmail.commit_message),
    Rule("TRAILING_WHITESPACE", Level.ERROR, "patch",
         "An added line ends in spaces or tabs.",
         "a '+' line of the diff whose text ends in a space or tab (a carriage return at the very "
         "end is left to DOS_LINE_ENDINGS).",
         "Trailing whitespace is invisible noise that later patches trip over; git apply "
         "--whitespace=error rejects it.",
         "Remove it (git diff --check shows where).",
         patchmail.trailing_whitespace),
    Rule("DOS_LINE_ENDINGS", Level.ERROR, "patch",
         "An added line ends in a carriage return.",
         "a '+' line of the diff that ends in '\\r' as content (CRLF of the mail transport is "
         "not counted).",
         "Kernel sources use LF line ends; a CR ends up in the file.",
         "Convert the file to LF line ends before committing.",
         patchmail.dos_line_endings),
    Rule("BAD_STABLE_ADDRESS_STYLE", Level.WARNING, "patch",
         "The stable address carries a display name or a comment not after '#'.",
         "a trailer naming stable@vger.kernel.org or stable@kernel.org with a name before the "
         "address, or text after it that does not start with '#' (as checkpatch.pl judges it).",
         "The stable team's scripts read the address and a '# <version>' comment; a display "
         "name or a bracketed note is not read as either.",
         "Write 'Cc: stable@vger.kernel.org', optionally followed by '# <first version>'.",
         patchmail.bad_stable_address_style),
    Rule("DIFFSTAT_MISMATCH", Level.WARNING, "patch",
         "The diffstat below '---' disagrees with the diff.",
         "a file listed in the diffstat but not in the diff (or the reverse), a per-file count "
         "of changed lines, or a files/insertions/deletions total that differs from the diff.",
         "A diffstat that disagrees means the mail was edited by hand after git produced it; "
         "the diff may not be what the author tested.",
         "Regenerate the patch with git format-patch instead of editing the mail.",
         patchmail.diffstat_mismatch),
    Rule("SIGN_OFF_CHAIN", Level.WARNING, "patch",
         "The sender of a patch someone else wrote did not sign off.",
         "a mail sent by someone other than its author whose Signed-off-by: lines do not "
         "include the sender's; one person is matched across addresses by name and by the aliases the mail "
         "itself shows (From:, X-Original-From:, Reply-To:, Cc:, trailers). Relayed postings "
         "are left alone: a list relay or commit notification, a stable queue's review posting "
         "(X-stable:, AUTOSEL, '[ Upstream commit ... ]'), and a re-post of a patch a "
         "maintainer already took (a Link: to another mail).",
         "The chain records the path the patch took, in order; whoever sends it on signs off "
         "last.",
         "Order the sign-offs as the patch travelled; add your own sign-off when you send on "
         "someone else's patch.",
         patchmail.sign_off_chain),
    Rule("BAD_CO_DEVELOPED_BY", Level.WARNING, "patch",
         "A Co-developed-by: is not followed by the same person's Signed-off-by:.",
         "a Co-developed-by: trailer whose next trailer is not a Signed-off-by: of the same "
         "address (checkpatch.pl reports this as BAD_SIGN_OFF).",
         "Co-authorship needs the co-author's own certificate of origin, right beside it.",
         "Put 'Signed-off-by: <the co-author>' on the line after their Co-developed-by:.",
         patchmail.bad_co_developed_by),
    Rule("FLOATING_FIXES_TAG", Level.WARNING, "patch",
         "A Fixes: tag stands in the message body instead of the trailer block.",
         "a 'Fixes:' line that is separated from the trailers by a blank line.",
         "Tools read the trailer block (git interpret-trailers, b4, the stable scripts); a Fixes: "
         "tag between blank lines is prose to them and the fix is never backported.",
         "Move the Fixes: line into the trailer block, above the Signed-off-by: lines.",
         patchmail.floating_fixes_tag),
    Rule("CHANGELOG_ABOVE_SEPARATOR", Level.WARNING, "patch",
         "A version changelog ('Changes in v2:', 'v1 -> v2:') sits in the commit message.",
         "a message line starting like a version changelog: 'Changes in/since vN', 'vN -> vM', "
         "'vN:', 'Changelog:' or '--- vN'.",
         "What changed between postings matters to reviewers, not to the history; above '---' "
         "it is committed with the patch.",
         "Move the changelog below the '---' line (git notes or b4 put it there).",
         patchmail.changelog_above_separator),
    Rule("SERIES_NUMBERING", Level.ERROR, "series",
         "Patches of the series are duplicated, disagree on N, are missing or beyond N.",
         "two different patches with the same k in one posting, or the mails that are "
         "checked stating different totals N (errors); counters k of 1..N with no mail, in one "
         "finding (a note: a list is often sent only part of a series); a k greater than N (a "
         "note: an add-on patch); a mail sent again in a later posting without a new version "
         "tag (a note on the older copy, which is not checked).",
         "A series with holes cannot be applied or reviewed as a whole; a duplicate leaves "
         "open which copy is meant.",
         "Resend the whole series with git format-patch --cover-letter -vN so the numbering is "
         "generated.",
         numbering.series_numbering),
    Rule("MAIL_DECODING", Level.NOTE, "series",
         "Decoding a mail needed a guess (charset, transfer encoding).",
         "the mail reader had to guess to decode a message, e.g. an undeclared or unknown "
         "charset it replaced by a fallback that decoded cleanly.",
         "A guess can be wrong without any visible damage; non-ASCII names and text are "
         "where to look.",
         "Send with git send-email, which declares the charset and encoding.",
         numbering.mail_decoding),
    Rule("MAIL_DATA_LOST", Level.WARNING, "series",
         "Decoding a mail lost text (bytes replaced, mail cut short).",
         "the mail reader had to replace undecodable bytes or found a message truncated.",
         "Lost bytes in a diff make it apply differently or not at all; the review then is "
         "of text the author did not write.",
         "Fetch the thread again (e.g. with b4 mbox) or ask the sender to resend.",
         numbering.mail_data_lost),
    Rule("STACK_GAP_UNDOCUMENTED", Level.WARNING, "patch",
         "Added code stores below a saved stack pointer and no comment says where the room is.",
         "an added `regs->sp -= ...; *(...)regs->sp = ...` (read from the C syntax tree, any "
         "pointer name) in a function with no comment, in it or directly above it, that names "
         "the gap, room or reserved space it relies on; or such a store left without that "
         "comment because the patch deletes it (reported at the store).",
         "Below the interrupted stack pointer sit the trap frame and pt_regs of the int3 itself; "
         "the store is safe only because the entry code left room there, which is nowhere "
         "visible at the store.",
         "Add a comment above the function saying which entry code leaves the room (e.g. the "
         "X86_TRAP_BP case of idtentry in entry_64.S) and how much.",
         code.stack_gap_undocumented),
    Rule("COMMIT_LOG_OTHER_PATCH", Level.WARNING, "patch",
         "The commit message claims a change that another patch of the series makes.",
         "a paragraph that says, in its own voice, that the entry gap, the helpers or a handler "
         "using them is made, where this patch's diff does not make it and another patch's "
         "does (context attributed elsewhere, e.g. 'the previous patch ...' or 'now that ...', "
         "is not judged); and then an 'also' on this patch's own change ('the helpers were "
         "also added'), left from when the patch did both.",
         "The message is committed with this patch alone; a later reader of this commit is "
         "told about work that is not in it.",
         "Describe what this patch changes, without 'also'; refer to the other patch as "
         "context ('patch 1 made the entry leave a gap; use it').",
         claims.commit_log_other_patch),
    Rule("STALE_REFERENCE", Level.WARNING, "patch",
         "An added or touched comment names something that does not exist.",
         "a name with an underscore, a `\\param` or a CONFIG_ option in an added comment that "
         "occurs in no code of the tree after this patch (with --tree: warning), or of the "
         "toolkit's reference model and the series (without a tree: note, only in "
         "text-patching.h and entry_64.S).",
         "A comment that points at a removed option sends the reader looking for code that is "
         "not there (the push comment named create_gap for years after it was gone).",
         "Name what the code uses now, or drop the reference.",
         code.stale_reference),
    Rule("REFUSED_INPUT", Level.ERROR, "patch",
         "Part of a patch was not applied or built because it is unsafe.",
         "a diff path that leaves the tree (absolute, or with '..'), or code to build that "
         "includes a file from outside the tree state ('#include', '.include', '.incbin').",
         "A patch is someone else's code; checking it must not read or write outside the tree "
         "it is applied to.",
         "Keep paths inside the tree and include only the tree's own files.",
         applying.refused_input),
    Rule("EMULATION_MISMATCH", Level.ERROR, "patch",
         "A helper disagrees with the instruction it emulates.",
         "a helper this patch adds or changes, built from the tree state after the patch and "
         "run in the emulator with the toolkit's own entry gap, leaves registers, flags or "
         "stack unlike the real call, push, jmp or Jcc at the same site (a few scenarios: "
         "toolkit/checks/trial.toml). Without --tree, a helper a hunk shows only in part gets a "
         "note instead, as it cannot be built.",
         "The int3 handler must make the CPU behave as if the patched instruction had run; a "
         "wrong return address or condition sends the kernel elsewhere.",
         "Compare the helper with the instruction's definition; `toolkit validate --tree` "
         "runs the full tables.",
         emulation.emulation_mismatch),
    Rule("ENTRY_FRAME_CORRUPTED", Level.ERROR, "patch",
         "The int3 entry code damages the saved frame or leaves too little room.",
         "the entry code this patch leaves, run with the toolkit's own helpers, lets an "
         "emulated push or call overwrite the saved frame or pt_regs, or returns elsewhere "
         "(e.g. a wrong copy displacement, a gap smaller than a push). The code is the x86_64 "
         "gap block, the x86_32 FIXUP_FRAME and IRET_FRAME of entry_32.S, or the FRED kernel "
         "entry of entry_64_fred.S with the calling.h macros it uses (that one only with "
         "--tree, which has calling.h). Without --tree, a block a hunk shows only in part gets "
         "a note instead, as it cannot be built.",
         "The frame is what iret returns through; a damaged one crashes or resumes at the "
         "wrong place.",
         "Copy the whole frame (orig_ax up to ss), from kernel mode only, by pushes that "
         "start right below it, so that it lands six words lower; `toolkit gen entry` writes "
         "a block that does.",
         emulation.entry_frame_corrupted),
    Rule("INT3_PATCHING_BROKEN", Level.ERROR, "patch",
         "The int3 batch and handler of alternative.c lose a site while patching.",
         "with --tree, the batch part of alternative.c this patch changes (text_poke_queue/"
         "text_poke_bp_batch/poke_int3_handler, or smp_text_poke_* since 2025), built with the "
         "tree's helpers, fails a sequence of the patching table: after some write or sync, "
         "another CPU executing a patched site traps and the handler does not claim it, sees "
         "bytes that are neither instruction whole, is emulated as another instruction, or the "
         "batch BUGs or waits forever. Without --tree the change gets a note.",
         "Such a patch passes review and boot, and oopses later under ftrace, static calls or "
         "jump labels (as the 2025 smp_text_poke_single() change did).",
         "Keep the vector sorted and within its size (flush first), write int3, tail and first "
         "byte in that order with a sync after each, and drop every reference the handler takes.",
         emulation.int3_patching_broken),
    Rule("BISECT_BREAKS", Level.ERROR, "patch",
         "After this patch a handler uses the helpers on an entry without room.",
         "the tree after this patch has a caller of a helper that pushes (int3_emulate_push, "
         "or one that calls it such as int3_emulate_call; a jmp, pop or ret needs no room) "
         "and, although its helpers and its gap (if any) each work, the round trip fails: "
         "e.g. the caller and helpers "
         "come before the patch that makes the gap (reported even if a later patch fixes it).",
         "Every patch must leave a working kernel; git bisect stops on each of them.",
         "Order the series so that the entry gap comes before anything that pushes into it.",
         emulation.bisect_breaks),
    Rule("BUILD_LIMIT", Level.WARNING, "patch",
         "The code of this patch could not be built or loaded within the limits.",
         "building the helpers or the entry-gap block this patch leaves (gcc, as, ld, each run "
         "limited in memory, CPU time, file size, processes and wall time: --build-limits) "
         "stopped at a limit, or the linked image is larger than the emulator loads (e.g. a "
         "'.fill' of 256 MiB, a static array of 1 GiB, macros that double twenty times). The "
         "code is then not emulated; a later state with the same code is not built again.",
         "Someone else's code is built on the reviewer's machine; it must not take the machine "
         "with it. Honest helpers and gap blocks build in a fraction of a second and a few KiB.",
         "Shrink what the code asks of the compiler and assembler; if the code is meant to be "
         "that large, raise --build-limits.",
         emulation.build_limit),
    Rule("COMMIT_REFERENCE", Level.WARNING, "patch",
         "A referenced commit is not in the tree, or its subject differs (with --tree).",
         "a Fixes: trailer or a 'commit <id> (\"<subject>\")' in the message whose id the "
         "repository given with --tree does not have, or whose subject is not the one quoted. "
         "Without --tree the references are left unverified (never called unknown).",
         "A wrong id sends the stable team and bisecting readers to the wrong commit; a "
         "subject that differs shows the id was copied from elsewhere.",
         "Copy the line git log -1 --abbrev=12 --format='%h (\"%s\")' <commit> prints.",
         applying.commit_reference),
    Rule("PATCH_DOES_NOT_APPLY", Level.ERROR, "patch",
         "The patch does not apply to the tree (with --tree).",
         "git apply refuses the patch on the tree after the patches before it (at the series' "
         "base-commit when the repository has it, else at HEAD); the later patches are checked "
         "on the tree without it.",
         "A patch that does not apply cannot be merged, and every later state differs from "
         "what the author tested.",
         "Rebase the series onto the tree it is meant for and resend with --base.",
         applying.patch_does_not_apply),
)

BY_NAME: dict[str, Rule] = {rule.name: rule for rule in RULES}


def lookup(name: str) -> Rule:
    """The rule called `name` (any case); an unknown name is a usage error listing close names."""
    wanted = name.strip().upper()
    rule = BY_NAME.get(wanted)
    if rule is None:
        # Misspelt names are near; remembered halves ("WHITESPACE") are inside a name.
        import difflib

        near = difflib.get_close_matches(wanted, BY_NAME, n=3, cutoff=0.75)
        inside = [known for known in BY_NAME if wanted and wanted in known]
        close = list(dict.fromkeys(near + inside))[:3]
        hint = f"did you mean {', '.join(close)}?" if close else "`toolkit rules` lists them"
        raise UsageError(f"unknown rule {name!r}", why=hint)
    return rule


def checkpatch_only(names: Iterable[str]) -> list[str]:
    """Those of `names` that are checkpatch.pl message types the toolkit does not check: an
    `--ignore` or `--types` list written for checkpatch names them, and they are accepted."""
    return [name.strip().upper() for name in names
            if name.strip().upper() not in BY_NAME and name.strip().upper() in _checkpatch_types()]


def select(types: Iterable[str] = (), ignore: Iterable[str] = ()) -> tuple[Rule, ...]:
    """The rules to run: only `types` when given, never those in `ignore`. checkpatch.pl's
    types that the toolkit does not check are passed over (see `checkpatch_only`)."""
    types, ignore = list(types), list(ignore)
    foreign = set(checkpatch_only(types + ignore))
    chosen = {lookup(n).name for n in types if n.strip().upper() not in foreign} \
        if types else set(BY_NAME)
    ignored = {lookup(n).name for n in ignore if n.strip().upper() not in foreign}
    return tuple(rule for rule in RULES if rule.name in chosen and rule.name not in ignored)


@functools.cache
def _checkpatch_types() -> frozenset[str]:
    text = Path(__file__).with_name("checkpatch_types.txt").read_text()
    return frozenset(line.strip() for line in text.splitlines()
                     if line.strip() and not line.startswith("#"))


def run(series: Series, rules: Iterable[Rule] = RULES,
        spelling: Spelling | None = None, paths: Int3Paths | None = None,
        trials: trial.Trials | None = None) -> list[Finding]:
    """Every finding of `rules` on `series`, in mbox order (series-wide remarks first).

    Rules that judge a patch on the int3 path after it use `paths` (from a repository); without
    them, the paths built from the hunks over the toolkit's reference model, when a rule asks.
    Its code is built and run within `trials` (without: no budget, the default limits).
    """
    checking = CheckRun(series, spelling if spelling is not None else Spelling.load(), paths,
                        trials if trials is not None else trial.unbounded())
    findings = []
    for rule in rules:
        findings.extend(_run(rule, series, Context(rule, checking)))
    return sorted(findings, key=_mbox_order)


#: What a change read from git's own text lacks (toolkit.mail.commits), and the rules that read
#: it: a commit has no mail sender; a bare diff has no commit message either.
NOT_IN_FORM = {
    "commit": frozenset({"SIGN_OFF_CHAIN"}),
    "diff": frozenset({"SIGN_OFF_CHAIN", "MISSING_SIGN_OFF", "NO_AUTHOR_SIGN_OFF",
                       "BAD_FIXES_TAG", "COMMIT_LOG_LONG_LINE", "COMMIT_MESSAGE",
                       "BAD_CO_DEVELOPED_BY", "FLOATING_FIXES_TAG", "CHANGELOG_ABOVE_SEPARATOR",
                       "COMMIT_LOG_OTHER_PATCH", "BAD_STABLE_ADDRESS_STYLE"}),
}


#: The rules about a commit message's words, which a stable backport or queue posting carries
#: as the upstream commit has them ("[ Upstream commit ... ]"): a remark there is the upstream
#: commit's, not the backport's (on real stable postings such remarks were never right).
UPSTREAM_TEXT = frozenset({"COMMIT_LOG_LONG_LINE", "TYPO_SPELLING", "BAD_FIXES_TAG",
                           "CHANGELOG_ABOVE_SEPARATOR", "FLOATING_FIXES_TAG"})


def _run(rule: Rule, series: Series, ctx: Context) -> Iterator[Finding]:
    if rule.scope == "series":
        yield from rule.check(series, ctx)
        return
    mails = series.patches
    if rule.scope == "mail" and series.cover is not None:
        mails = (series.cover, *mails)
    for patch in mails:
        if rule.name not in NOT_IN_FORM.get(patch.form, ()) and not (
                patch.stable and rule.name in UPSTREAM_TEXT):
            yield from rule.check(patch, ctx)


def _mbox_order(finding: Finding) -> tuple:
    where = finding.mbox_at
    return (finding.patch is not None, where.path if where else "",
            (where.line or 0) if where else 0, finding.rule)
