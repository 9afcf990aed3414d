"""`toolkit check` and `toolkit rules` as a user runs them: output, options and exit codes."""

import ast
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from toolkit.cli import main

ROOT = Path(__file__).parent.parent
CHECK = Path(__file__).parent / "data" / "check"
RULES = Path(__file__).parent / "data" / "rules"
DEMO_V1 = str(ROOT / "patches" / "int3-call-emulation-v1.mbox")
DEMO_V2 = str(ROOT / "patches" / "int3-call-emulation-v2.mbox")


def _run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# The rules the demo's first posting gets: tests that count findings pin them, so that a new rule
# changes only the tests about it (the corrected posting must stay clean under every rule).
DEMO_RULES = "TYPO_SPELLING,COMMIT_LOG_OTHER_PATCH,STACK_GAP_UNDOCUMENTED"


def test_demo_v1_reports_the_typo_of_patch_2(capsys):
    code, out, err = _run(capsys, "check", DEMO_V1, "--types", DEMO_RULES)
    assert (code, err) == (1, "")
    assert out.splitlines()[:3] == [
        "WARNING:TYPO_SPELLING: 'funtion' may be misspelled - perhaps 'function'?",
        f"#130: FILE: {DEMO_V1}:130:",
        "PATCH 2/3: x86_64: Allow breakpoints to emulate call instructions"]
    assert out.endswith("\n0 errors, 4 warnings, 0 checks, 0 notes in 3 patches\n")


def test_demo_v2_is_clean(capsys):
    assert _run(capsys, "check", DEMO_V2) == \
        (0, "0 errors, 0 warnings, 0 checks, 0 notes in 3 patches\n", "")


def test_ignore_types_and_fail_on(capsys):
    pinned = ("--types", DEMO_RULES + ",MISSING_SIGN_OFF")
    assert _run(capsys, "check", DEMO_V1, *pinned, "--ignore", "typo_spelling")[0] == 1
    assert _run(capsys, "check", DEMO_V1, *pinned, "--ignore",
                "typo_spelling,commit_log_other_patch,stack_gap_undocumented")[0] == 0
    assert _run(capsys, "check", DEMO_V1, *pinned, "--fail-on", "error")[0] == 0
    code, out, _ = _run(capsys, "check", str(CHECK / "stable-address.mbox"),
                        "--types", "MISSING_SIGN_OFF,COMMIT_MESSAGE")
    assert (code, out) == (0, "0 errors, 0 warnings, 0 checks, 0 notes in 1 patch\n")


def test_unknown_rule_is_exit_2_with_a_hint(capsys):
    code, out, err = _run(capsys, "check", DEMO_V1, "--ignore", "TYPO_SPELING")
    assert (code, out) == (2, "")
    assert err == "toolkit: unknown rule 'TYPO_SPELING' (did you mean TYPO_SPELLING?)\n"


def test_unreadable_input_is_exit_2_naming_the_file(capsys, tmp_path):
    missing = tmp_path / "nothing.mbox"
    code, out, err = _run(capsys, "check", str(missing))
    assert (code, out) == (2, "")
    assert err.startswith(f"toolkit: {missing}: ") and "Traceback" not in err


def test_stdin(capsys, monkeypatch):
    mbox = (CHECK / "missing-sign-off.mbox").read_bytes()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(mbox)))
    code, out, _ = _run(capsys, "check", "-", "--format", "json", "--types",
                        "MISSING_SIGN_OFF,TYPO_SPELLING")
    findings = json.loads(out)["findings"]
    assert (code, [(f["rule"], f["mbox"]["line"]) for f in findings]) == \
        (1, [("MISSING_SIGN_OFF", 12)])


def test_tree_spelling_list(capsys):
    mbox = str(RULES / "typo-from-tree.mbox")
    assert _run(capsys, "check", mbox, "--types", "TYPO_SPELLING")[0] == 0
    code, out, _ = _run(capsys, "check", mbox, "--tree", str(RULES / "tree"), "--format", "json",
                        "--types", "TYPO_SPELLING")
    found = [(f["rule"], f["mbox"]["line"], f["evidence"]["word"])
             for f in json.loads(out)["findings"]]
    assert (code, found) == (1, [("TYPO_SPELLING", 7, "stakc")])


def test_a_tree_that_does_not_exist_is_exit_2_naming_it(capsys, tmp_path):
    missing = tmp_path / "linux"
    code, out, err = _run(capsys, "check", str(CHECK / "missing-sign-off.mbox"),
                          "--tree", str(missing))
    assert (code, out) == (2, "")
    assert err == f"toolkit: {missing}: no such directory (given with --tree)\n"


def test_revision_chooses_among_revisions(capsys, tmp_path):
    both = tmp_path / "both.mbox"
    both.write_bytes(Path(DEMO_V1).read_bytes() + b"\n" + Path(DEMO_V2).read_bytes())
    newest = json.loads(_run(capsys, "check", str(both), "--format", "json")[1])
    first = json.loads(_run(capsys, "check", str(both), "--revision", "1", "--format", "json",
                            "--types", DEMO_RULES)[1])
    # the two postings are one series: the same sender sent the same subjects again
    assert (newest["summary"]["series"], newest["series"][0]["revisions"]) == (1, [1, 2])
    assert (newest["series"][0]["revision"], newest["findings"]) == (2, [])
    assert (first["series"][0]["revision"], [f["rule"] for f in first["findings"]]) \
        == (1, ["TYPO_SPELLING", "COMMIT_LOG_OTHER_PATCH", "COMMIT_LOG_OTHER_PATCH",
                "STACK_GAP_UNDOCUMENTED"])


def test_rules_lists_and_explains(capsys):
    code, out, _ = _run(capsys, "rules")
    rows = [line.split(None, 2) for line in out.splitlines()]
    assert code == 0 and len(rows) >= 17
    assert ["DOS_LINE_ENDINGS", "error"] in [row[:2] for row in rows]
    code, out, _ = _run(capsys, "rules", "sign_off_chain")
    assert code == 0 and out.startswith("SIGN_OFF_CHAIN (warning): ")
    assert _run(capsys, "rules", "NO_SUCH_RULE")[0] == 2


def _heavy_modules_loaded(path: str, cache: Path) -> list[str]:
    probe = ("import sys; from toolkit.cli import main; main(['check', sys.argv[1]]); "
             "print(sorted(m for m in ('pycparser', 'unicorn', 'jinja2', 'capstone', 'git', "
             "'elftools') if m in sys.modules and type(sys.modules[m]).__name__ != '_LazyModule'))")
    done = subprocess.run([sys.executable, "-c", probe, path], capture_output=True, text=True,
                          env={**os.environ, "XDG_CACHE_HOME": str(cache)})
    assert done.returncode == 0, done.stderr
    return ast.literal_eval(done.stdout.splitlines()[-1])


def test_check_loads_the_emulator_only_when_its_caches_are_cold(tmp_path):
    # The first check of the demo builds and runs the int3 path; the second finds every build
    # and every passed trial cached and needs only the header model.
    # (capstone is not among them: traces are disassembled only for evidence that is shown; nor
    # is jinja2: the reference code ships made)
    assert _heavy_modules_loaded(DEMO_V1, tmp_path) == ["elftools", "pycparser", "unicorn"]
    assert _heavy_modules_loaded(DEMO_V1, tmp_path) == ["pycparser"]
    # A series that touches nothing of the int3 path runs no emulation, even with cold caches.
    unrelated = ROOT / "tests" / "data" / "mail" / "binary-rename.mbox"
    assert "unicorn" not in _heavy_modules_loaded(str(unrelated), tmp_path / "cold")


@pytest.mark.parametrize("argv", [["parse", "header", str(ROOT / "tests/data/headers/trees/includes"
                                                          "/arch/x86/include/asm/text-patching.h")],
                                  ["parse", "pt-regs"], ["validate"]])
def test_a_tree_option_below_the_kernel_tree_is_exit_2_naming_it(capsys, argv):
    # `--tree linux/arch` (one level too deep) finds no arch/x86 to read or follow headers in
    below = ROOT / "tests/data/headers/trees/includes/arch"
    code, out, err = _run(capsys, *argv, "--tree", str(below))
    assert (code, out) == (2, "")
    assert err == (f"toolkit: {below}: not a kernel source tree, it has no arch/x86 "
                   "(given with --tree)\n")


@pytest.mark.parametrize("command", ["check", "validate", "parse"])
def test_a_tree_that_is_a_file_is_exit_2_naming_it(capsys, command):
    mbox = str(CHECK / "missing-sign-off.mbox")
    argv = {"check": ["check", mbox], "validate": ["validate"], "parse": ["parse", "pt-regs"]}
    code, out, err = _run(capsys, *argv[command], "--tree", mbox)
    assert (code, out) == (2, "")
    assert err == f"toolkit: {mbox}: not a directory (given with --tree)\n"


def test_every_series_of_an_mbox_is_checked_under_its_own_heading(capsys):
    many = str(ROOT / "tests" / "data" / "series" / "many.mbox")
    pinned = ("--types", "SERIES_NUMBERING,MISSING_SIGN_OFF")
    code, out, _ = _run(capsys, "check", many, *pinned)
    headings = [line for line in out.splitlines() if line.startswith("SERIES ")]
    assert code == 0 and len(headings) == 5
    # a thread's series come together: the sender's next unthreaded posting follows the first
    assert headings[2].startswith("SERIES 3: [PATCH 1/3] x86/entry: a different series")
    assert out.splitlines()[-1] == ("0 errors, 0 warnings, 0 checks, 1 note in 8 patches of 5 "
                                    "series; 15 mails read, 2 skipped (no patch)")
    data = json.loads(_run(capsys, "check", many, "--format", "json", *pinned)[1])
    assert (data["schema"], data["summary"]["series"], data["summary"]["patches"],
            data["summary"]["mails"], data["summary"]["skipped"]) == (2, 5, 8, 15, 2)
    (note,) = data["findings"]
    assert (note["rule"], note["level"], note["series"]) == (
        "SERIES_NUMBERING", "note", "<c2-1@example.org>")
    picked = json.loads(_run(capsys, "check", many, "--series", "c-2@example.org",
                             "--format", "json")[1])
    assert [s["id"] for s in picked["series"]] == ["<c-1@example.org>"]


def test_a_mail_without_a_patch_is_read_and_skipped(capsys):
    code, out, err = _run(capsys, "check", str(ROOT / "tests" / "data" / "mail" / "reply-only.eml"))
    assert (code, err) == (0, "")
    assert out.endswith("in 0 patches of 0 series; 1 mail read, 1 skipped (no patch)\n")


def test_checkpatch_types_the_toolkit_lacks_are_accepted_with_one_note(capsys):
    code, out, err = _run(capsys, "check", DEMO_V1,
                          "--ignore", "FILE_PATH_CHANGES,SPDX_LICENSE_TAG,TYPO_SPELLING")
    assert code == 1 and out.endswith("0 errors, 3 warnings, 0 checks, 0 notes in 3 patches\n")
    assert err == ("toolkit: note: checkpatch.pl types the toolkit does not check, accepted: "
                   "FILE_PATH_CHANGES, SPDX_LICENSE_TAG\n")
    # --types of checkpatch types only: nothing the toolkit has is run
    assert _run(capsys, "check", DEMO_V1, "--types", "LONG_LINE")[:2] == \
        (0, "0 errors, 0 warnings, 0 checks, 0 notes in 3 patches\n")
    # a name neither knows is still a mistake
    assert _run(capsys, "check", DEMO_V1, "--ignore", "LONG_LYNE")[0] == 2


@pytest.mark.parametrize("where", ["cwd", "home", "tree"])
def test_checkpatch_conf_is_read_where_checkpatch_reads_it(capsys, tmp_path, monkeypatch, where):
    folder = {"cwd": tmp_path / "work", "home": tmp_path / "home", "tree": tmp_path / "tree"}
    for path in folder.values():
        path.mkdir()
    (folder[where] / ".checkpatch.conf").write_text(
        "--strict  # checkpatch's own\n# a comment line\n--ignore TYPO_SPELLING,LONG_LINE\n"
        "--ignore=COMMIT_LOG_OTHER_PATCH\n")
    monkeypatch.chdir(folder["cwd"])
    monkeypatch.setenv("HOME", str(folder["home"]))
    if where == "tree":
        # the tree's conf counts only with --tree; check.py reads it before the tree is used
        from toolkit.cli.check import checkpatch_conf
        assert checkpatch_conf(str(folder["tree"])) == (
            ["TYPO_SPELLING", "LONG_LINE", "COMMIT_LOG_OTHER_PATCH"], [])
        assert checkpatch_conf(None) == ([], [])
        return
    code, out, err = _run(capsys, "check", DEMO_V1)
    assert out.endswith("0 errors, 1 warning, 0 checks, 0 notes in 3 patches\n"), out
    assert "LONG_LINE" in err


def test_without_a_compiler_one_warning_says_the_semantic_checks_could_not_run(tmp_path):
    # a CI job on a machine without gcc must not pass as if the code had been run
    env = {**os.environ, "CC": "no-such-gcc", "XDG_CACHE_HOME": str(tmp_path)}
    done = subprocess.run([sys.executable, "-m", "toolkit", "check", DEMO_V2], env=env,
                          capture_output=True, text=True)
    warnings = [line for line in done.stdout.splitlines() if line.startswith("WARNING:")]
    assert done.returncode == 1, done.stdout + done.stderr
    assert len(warnings) == 1 and "semantic checks of this series could not run" in warnings[0]
    assert "install gcc and binutils" in warnings[0]


def test_a_command_declares_only_its_own_arguments_and_parses_as_with_all():
    from toolkit.cli import _COMMANDS, _parser

    for name in _COMMANDS:
        alone = _parser([name, "--help"])
        (action,) = alone._subparsers._group_actions
        assert set(action.choices) == {name}
        whole = _parser(["--help"])._subparsers._group_actions[0].choices[name]
        assert action.choices[name].format_help() == whole.format_help()
    assert set(_parser(["--debug", "chek"])._subparsers._group_actions[0].choices) == \
        set(_COMMANDS)
