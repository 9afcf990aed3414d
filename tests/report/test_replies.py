"""`toolkit check --format email`: the replies read back as mail — threading, recipients, quoting,
and each remark right under the line it is about."""

import mailbox
import os
import re
import subprocess
import tomllib
from email import policy
from email.message import EmailMessage
from pathlib import Path

import pytest

from toolkit.checks import catalogue
from toolkit.cli import main
from toolkit.report import replies
from toolkit.series import read_series

DATA = Path(__file__).parents[1] / "data" / "outputs"
REVIEW = DATA / "review.mbox"
DEMO_V1 = Path(__file__).parents[2] / "patches" / "int3-call-emulation-v1.mbox"
CHECK = Path(__file__).parents[1] / "data" / "check"
# The expected files show the layout of the output, not which rules exist: pin the rules they use.
PINNED = ("--types", "SERIES_NUMBERING,TYPO_SPELLING,TRAILING_WHITESPACE")
# "... (TYPO_SPELLING)": the rule name that ends a remark
_RULE = re.compile(r"\(([A-Z0-9_]+)\)$")
REPLY_CASES = sorted(p.name.split(".")[0] for p in DATA.glob("*.replies.toml"))
assert REPLY_CASES, "no cases found: a table that is empty would pass vacuously"


def _replies(capsys, tmp_path, mbox: Path, *argv) -> tuple[int, list[EmailMessage]]:
    code = main(["check", str(mbox), "--format", "email", *argv])
    out, err = capsys.readouterr()
    assert err == ""
    stream = tmp_path / "replies.mbox"
    stream.write_text(out)
    box = mailbox.mbox(stream, factory=lambda f: _parse(f.read()), create=False)
    return code, list(box)


def _parse(data: bytes) -> EmailMessage:
    from email import message_from_bytes

    return message_from_bytes(data, policy=policy.default)


def _addresses(mail: EmailMessage, name: str) -> list[str]:
    header = mail[name]
    return [str(address) for address in header.addresses] if header else []


def _paragraphs_under(lines: list[str], k: int) -> list[str]:
    """The unquoted paragraphs directly under body line k, each joined into one line."""
    found, current = [], []
    for line in lines[k + 1:]:
        if line.startswith(">") or line == replies.CUT:
            break
        if line:
            current.append(line)
        elif current:
            found.append(" ".join(current))
            current = []
    if current:
        found.append(" ".join(current))
    return found


@pytest.mark.parametrize("case", REPLY_CASES)
def test_threading_and_recipients(capsys, tmp_path, case):
    table = tomllib.loads((DATA / f"{case}.replies.toml").read_text())
    code, mails = _replies(capsys, tmp_path, DATA / f"{case}.mbox", "--types", table["types"])
    found = [{"subject": mail["Subject"], "to": _addresses(mail, "To"),
              "cc": _addresses(mail, "Cc"), "in_reply_to": mail["In-Reply-To"],
              "references": mail["References"].split(),
              "rules": [m.group(1) for line in mail.get_content().split("\n\n")
                        if (m := _RULE.search(" ".join(line.split())))]}
             for mail in mails]
    assert (code, found) == (1, table["reply"])


def test_every_remark_sits_under_its_quoted_line(capsys, tmp_path):
    for mbox in (REVIEW, DEMO_V1):
        raw = mbox.read_text().splitlines()
        series = read_series(str(mbox))
        findings = [f for f in catalogue.run(series) if f.mbox_at and f.mbox_at.line]
        _, mails = _replies(capsys, tmp_path, mbox)
        bodies = {mail["In-Reply-To"]: mail.get_content().splitlines() for mail in mails}
        assert findings
        for finding in findings:
            lines = bodies[f"<{finding.patch.msgid}>"]
            text = raw[finding.mbox_at.line - 1]
            quoted = f"> {text}" if text else ">"
            # a typo in the Subject: header is quoted as that header line
            at = lines.index(quoted)
            assert f"{finding.message} ({finding.rule})" in _paragraphs_under(lines, at), \
                (finding, lines[at:at + 4])


def test_quotes_are_lines_of_the_patch_in_order_and_cuts_are_marked(capsys, tmp_path):
    raw = REVIEW.read_text().splitlines()
    _, mails = _replies(capsys, tmp_path, REVIEW)
    for mail in mails:
        lines = mail.get_content().splitlines()
        assert re.fullmatch(r"On .+, .+ wrote:", lines[0])
        start = raw.index(f"Message-Id: {mail['In-Reply-To']}")
        position, previous = start, None
        for k, line in enumerate(lines):
            if not line.startswith(">") or line.startswith("> Subject: "):
                continue
            text = line[2:]
            found = raw.index(text, position + 1)
            if found != position + 1 and position != start:
                # something was left out between two quoted lines: a cut must say so
                assert replies.CUT in lines[lines.index(previous) + 1:k], (previous, line)
            position, previous = found, line
        # quoting stops before the mail does
        assert replies.CUT in lines


def test_a_mail_without_findings_gets_no_reply(capsys, tmp_path):
    code, mails = _replies(capsys, tmp_path, REVIEW, "--types",
                           "SERIES_NUMBERING,TRAILING_WHITESPACE")
    assert (code, [mail["In-Reply-To"] for mail in mails]) \
        == (1, ["<room-v2-0@example.org>", "<room-v2-1@example.org>"])
    # the reply says which rules it stands on
    assert "only these rules were applied: SERIES_NUMBERING, TRAILING_WHITESPACE" \
        in mails[0].get_content()


def test_clean_series_has_no_replies(capsys):
    assert main(["check", str(DEMO_V1.with_name("int3-call-emulation-v2.mbox")),
                 "--format", "email"]) == 0
    assert capsys.readouterr() == ("", "")


def test_what_was_not_checked():
    known = ("A_RULE", "B_RULE", "C_RULE", "D_RULE")
    with_fixes = read_series(str(DEMO_V1))
    assert replies.not_checked(None, with_fixes, known, known) \
        == ("no kernel tree given: Fixes: tags and commit references are unverified",)
    # a series that names no commit has nothing a tree would verify
    without = read_series(str(CHECK / "comment-removed.mbox"))
    assert replies.not_checked(None, without, known, known) == ()
    # the shorter list is the one named
    assert replies.not_checked("/src/linux", with_fixes, ("D_RULE", "A_RULE", "B_RULE"), known) \
        == ("rules not applied in this run: C_RULE",)
    assert replies.not_checked("/src/linux", with_fixes, ("B_RULE",), known) \
        == ("only these rules were applied: B_RULE",)


def test_output_directory_holds_one_mail_per_file(capsys, tmp_path):
    outdir = tmp_path / "replies"
    assert main(["check", str(REVIEW), "--format", "email", "-o", str(outdir), *PINNED]) == 1
    printed = capsys.readouterr().out.splitlines()
    assert printed == [str(path) for path in sorted(outdir.iterdir())]
    subjects = [_parse(Path(path).read_bytes())["Subject"] for path in printed]
    assert [s.split("]")[0] for s in subjects] \
        == ["Re: [PATCH v2 0/3", "Re: [PATCH v2 1/3", "Re: [PATCH v2 2/3"]
    # a second run would mix its replies with the first: refused, nothing overwritten
    before = {path: Path(path).read_bytes() for path in printed}
    assert main(["check", str(REVIEW), "--format", "email", "-o", str(outdir)]) == 2
    out, err = capsys.readouterr()
    assert (out, err) == ("", f"toolkit: {outdir}: the output directory is not empty "
                              "(git send-email DIR would send every file in it)\n")
    assert before == {path: Path(path).read_bytes() for path in printed}


def test_output_directory_is_only_for_email(capsys, tmp_path):
    assert main(["check", str(REVIEW), "-o", str(tmp_path / "x")]) == 2
    assert capsys.readouterr().err.startswith("toolkit: -o/--output is for --format email")
    assert not (tmp_path / "x").exists()


def test_git_send_email_takes_the_threading_headers(capsys, tmp_path):
    commands = subprocess.run(["git", "--exec-path"], capture_output=True, text=True).stdout
    if not (Path(commands.strip()) / "git-send-email").exists():
        pytest.skip("git send-email is not installed (Debian package git-email)")
    outdir = tmp_path / "replies"
    main(["check", str(REVIEW), "--format", "email", "-o", str(outdir), *PINNED])
    capsys.readouterr()
    repo = tmp_path / "repo"
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    done = subprocess.run(
        ["git", "send-email", "--dry-run", "--confirm=never", "--no-validate",
         "--from=Rita Reviewer <rita@example.org>", "--smtp-server=/bin/false", str(outdir)],
        cwd=repo, capture_output=True, text=True, timeout=60,
        # send-email wants an identity even for a dry run; a fresh machine has none configured
        env={**os.environ, "GIT_COMMITTER_NAME": "Rita Reviewer",
             "GIT_COMMITTER_EMAIL": "rita@example.org", "GIT_AUTHOR_NAME": "Rita Reviewer",
             "GIT_AUTHOR_EMAIL": "rita@example.org"})
    assert done.returncode == 0, done.stderr
    sent = [line for line in done.stdout.splitlines()
            if line.startswith(("In-Reply-To:", "Subject:"))]
    assert sent == ["Subject: Re: [PATCH v2 0/3] x86/int3: Room for an emulated push",
                    "In-Reply-To: <room-v2-0@example.org>",
                    "Subject: Re: [PATCH v2 1/3] x86/int3: Leave a gap below the int3 frame",
                    "In-Reply-To: <room-v2-1@example.org>",
                    "Subject: Re: [PATCH v2 2/3] x86/int3: Keep the pushed word seperate "
                    "from the frame",
                    "In-Reply-To: <room-v2-2@example.org>"]


def test_a_mail_without_message_id_gets_an_unthreaded_reply(capsys, tmp_path):
    # plain git format-patch output has no Message-Id: there is nothing to thread under
    patch = (DATA / "b4-patch.eml").read_text()
    bare = tmp_path / "bare.eml"
    bare.write_text("".join(line for line in patch.splitlines(keepends=True)
                            if not line.startswith("Message-Id:")))
    _, mails = _replies(capsys, tmp_path, bare, *PINNED)
    assert [(mail["Subject"], mail["In-Reply-To"], mail["References"]) for mail in mails] \
        == [("Re: [PATCH v2 1/3] x86/int3: Leave a gap below the int3 frame", None, None)]


def test_emulator_evidence_comes_with_its_remark():
    from toolkit.checks.findings import Finding, Level, Location, PatchRef
    from toolkit.mail import read_messages
    from toolkit.report.report import CheckReport
    from toolkit.series.assemble import assemble

    messages = tuple(read_messages(str(REVIEW)))
    series = assemble(messages, str(REVIEW))
    patch = series.patches[0]
    # a remark as the emulation rules make it: at the added gap line, with the stack they saw
    finding = Finding("EMULATION_MISMATCH", Level.ERROR, "the push lands on the frame",
                      PatchRef(1, 3, patch.subject, patch.msgid), Location(str(REVIEW), 60),
                      Location("arch/x86/entry/entry_64.S", 23),
                      {"scenario": "call/aligned",
                       "stack_text": "0x1008  0x0000000000000001  interrupted sp+0\n"
                                     "0x1000  0xffffffff82000805  gap (old ss)\n"})
    (mail,) = replies.replies(CheckReport.of(series, (finding,)), messages)
    lines = mail.get_content().splitlines()
    at = lines.index("the push lands on the frame (EMULATION_MISMATCH)")
    assert lines[at - 2:at + 6] == [
        "> +\t/* each push moves %rsp, so one displacement walks the frame */ ",
        "",
        "the push lands on the frame (EMULATION_MISMATCH)",
        "",
        "The stack as the emulator left it (call/aligned):",
        "    0x1008  0x0000000000000001  interrupted sp+0",
        "    0x1000  0xffffffff82000805  gap (old ss)",
        ""]


def test_what_could_not_be_run_is_listed_not_remarked(capsys, tmp_path):
    # patch 1 has a typo and a helper shown only in part; patch 2 only a gap block shown in part
    code, mails = _replies(capsys, tmp_path, DATA / "not-run.mbox")
    assert (code, [mail["In-Reply-To"] for mail in mails]) == (1, ["<not-run-1@example.org>"])
    body = mails[0].get_content()
    remarks, _, limits = body.partition("\nNot checked:\n")
    assert "(TYPO_SPELLING)" in remarks and "EMULATION_MISMATCH" not in remarks
    assert " ".join(limits.split()).startswith(
        "- int3_emulate_jcc() was not emulated: the hunk shows only part of it; check with "
        "--tree to run it (arch/x86/include/asm/text-patching.h:123)")
