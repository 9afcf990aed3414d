"""The `toolkit` command line: parses arguments, calls the library, prints, and sets the exit code."""

from __future__ import annotations

import argparse
import sys

from toolkit import __version__
from toolkit.cli import check
from toolkit.cli.common import kernel_tree, make_folder, names
from toolkit.errors import ToolkitError

# Each command is a pair: `_add_<name>(subparsers)` declares its arguments and sets `func` to
# `_run_<name>(args) -> int`. Library modules are imported inside the `_run_` functions so that a
# command pays only for the imports it needs (unicorn and pycparser are slow to load).


def _parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The parser of `argv`'s command: only that command's arguments are declared when `argv`
    names one (declaring all of them is a twentieth of a one-patch check); all otherwise, for
    the top level's help and its errors."""
    parser = argparse.ArgumentParser(
        prog="toolkit",
        description="Review and code generation for x86 int3 text-patching patches.")
    parser.add_argument("--version", action="version", version=f"toolkit {__version__}")
    parser.add_argument("--debug", action="store_true",
                        help="on an internal error, show its traceback")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    wanted = _command_of(sys.argv[1:] if argv is None else argv)
    for name, add in _COMMANDS.items():
        if wanted in (None, name):
            add(sub)
    for command_parser in {id(p): p for p in sub.choices.values()}.values():
        _add_debug(command_parser)
    return parser


def _add_debug(parser: argparse.ArgumentParser) -> None:
    """--debug after the command too (SUPPRESS: not given there, it leaves the top level's)."""
    if parser._subparsers is not None:
        for action in parser._subparsers._group_actions:
            for child in action.choices.values():
                _add_debug(child)
        return
    parser.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                        help="on an internal error, show its traceback")


def _command_of(argv: list[str]) -> str | None:
    """The command `argv` runs, or None when it asks the top level (help, version) or names
    no command. The top level's own options take no value."""
    for arg in argv:
        if arg in ("-h", "--help", "--version"):
            return None
        if not arg.startswith("-"):
            return arg if arg in _COMMANDS else None
    return None


_COMMANDS: dict = {"check": check.add_check}
#: The exit code of an internal error (sysexits' EX_SOFTWARE): neither a result (0, 1) nor a
#: problem with the input or the options (2), so a bot can tell a crash from a finding.
INTERNAL_ERROR = 70


def command(name: str):
    """Register a function that adds the sub-command `name` to the parser."""
    def register(add):
        _COMMANDS[name] = add
        return add
    return register


def main(argv: list[str] | None = None) -> int:
    parser = _parser(argv)
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except ToolkitError as error:
        print(f"toolkit: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print("toolkit: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader of our output went away (e.g. `| head`); that is not an error of ours.
        sys.stderr.close()
        return 0
    except Exception as error:  # a bug of ours, which must not look like a result
        if args.debug:
            import traceback

            traceback.print_exc()
        what = getattr(args, "path", None) or getattr(args, "tree", None) or args.command
        print(f"toolkit {__version__}: internal error on {what}: {type(error).__name__}: "
              f"{str(error)[:200]} (a bug; --debug shows where)", file=sys.stderr)
        return INTERNAL_ERROR


# --- commands ------------------------------------------------------------------------------------


@command("rules")
def _add_rules(sub):
    p = sub.add_parser("rules", help="list the review rules, or explain one",
                       description="List the rules `toolkit check` applies (name, level, "
                                   "summary), or show one rule's full documentation.")
    p.add_argument("name", nargs="?", metavar="NAME", help="the rule to explain")
    p.set_defaults(func=_run_rules)


def _run_rules(args) -> int:
    from toolkit.checks import catalogue

    if args.name:
        print(catalogue.lookup(args.name), end="")
        return 0
    width = max(len(rule.name) for rule in catalogue.RULES)
    for rule in catalogue.RULES:
        print(f"{rule.name:<{width}}  {str(rule.level):<7}  {rule.summary}")
    return 0


@command("parse")
def _add_parse(sub):
    p = sub.add_parser("parse", help="show the model of a header or of struct pt_regs",
                       description="Show what the toolkit reads from C text: the functions, "
                                   "macros, #if regions and unparsed parts of a header.")
    what = p.add_subparsers(dest="what", metavar="WHAT")
    what.required = True
    header = what.add_parser("header", help="model a header file (e.g. text-patching.h)")
    header.add_argument("path", metavar="FILE")
    header.add_argument("--tree", metavar="DIR",
                        help="a kernel source tree: follow the #includes there, as kbuild finds "
                             "them for x86, and read their macros")
    header.add_argument("--format", choices=("text", "json"), default="text")
    header.set_defaults(func=_run_parse_header)
    regs = what.add_parser("pt-regs", help="the layout of struct pt_regs",
                           description="Field offsets of struct pt_regs: from a kernel tree's "
                                       "arch/x86/include/asm/ptrace.h with --tree, otherwise "
                                       "the toolkit's own description.")
    regs.add_argument("--tree", metavar="DIR", help="a kernel source tree")
    regs.add_argument("--arch", choices=("x86_64", "x86_32"), default="x86_64")
    regs.add_argument("--format", choices=("text", "json"), default="text")
    regs.set_defaults(func=_run_parse_pt_regs)


def _run_parse_header(args) -> int:
    import json

    from toolkit.cmodel import describe, header

    model = header.read_header(args.path, tree=args.tree and kernel_tree(args.tree))
    if args.format == "json":
        print(json.dumps(model.to_dict(), indent=2))
    else:
        print(describe.describe(model), end="")
    return 0


def _run_parse_pt_regs(args) -> int:
    import json

    from toolkit import x86
    from toolkit.cmodel import ptregs

    layout = ptregs.from_tree(kernel_tree(args.tree), args.arch) if args.tree \
        else x86.reference(args.arch)
    if args.format == "json":
        print(json.dumps(layout.to_dict(), indent=2))
        return 0
    source = f"{args.tree}/{x86.PTRACE_H}" if args.tree else "toolkit reference"
    print(f"struct pt_regs, {layout.arch}, {layout.size} bytes ({source})")
    for slot in layout.slots:
        print(f"  {slot.offset:4d}  {slot.size}  {slot.name}")
    return 0


@command("gen")
def _add_gen(sub):
    p = sub.add_parser("gen", help="generate the int3 helpers, the entry gap or a patch",
                       description="Generate the int3 emulation helpers, the prelude they compile "
                                   "against, the entry-gap assembly or the emulator's int3 harness "
                                   "for one target; or install them in a kernel tree as patches.")
    what = p.add_subparsers(dest="what", metavar="WHAT")
    what.required = True
    arch = argparse.ArgumentParser(add_help=False)
    arch.add_argument("--arch", choices=("x86_64", "x86_32"), default="x86_64")
    shape = argparse.ArgumentParser(add_help=False)
    shape.add_argument("--gap-words", type=int, metavar="N",
                       help="words of room the entry leaves below the interrupted stack (default 6)")
    shape.add_argument("--helpers", type=names, metavar="NAME,..",
                       help="which int3_emulate_* helpers (default: jmp,push,pop,call,ret,jcc)")
    shape.add_argument("--mechanisms", type=names, metavar="NAME,..",
                       help="what the push comment names as the source of the room: bp_gap, "
                            "fixup_frame, fred (default: the architecture's own)")
    style = argparse.ArgumentParser(add_help=False)
    style.add_argument("--style", choices=("trap_bp", "create_gap", "fixup_frame"),
                       help="entry macro style (default: trap_bp on x86_64, fixup_frame on x86_32)")
    output = argparse.ArgumentParser(add_help=False)
    output.add_argument("-o", "--output", metavar="FILE", help="write here instead of stdout")
    for name, parents, text in (
            ("header", (arch, shape, style, output), "the helper header (C)"),
            ("prelude", (arch, output), "toolkit_prelude.h: kernel types and struct pt_regs"),
            ("entry", (arch, shape, style, output), "the entry-gap macros (GNU as)"),
            ("harness", (arch, shape, style, output), "the int3 entry stub the emulator runs")):
        generator = what.add_parser(name, parents=parents, help=text)
        generator.set_defaults(func=_run_gen)
        if name == "harness":
            generator.add_argument("--delivery", choices=("idt", "fred"), default="idt",
                                   help="how int3 reaches the stub: idt (default) or fred, the "
                                        "x86_64 FRED event entry, where the CPU leaves the room")
    patch = what.add_parser(
        "patch", parents=(shape,), help="install the generated code in a kernel tree as patches",
        description="Commit the generated helpers and entry gap on top of the kernel tree's HEAD "
                    "in a temporary detached worktree, one commit per file, and write them out "
                    "with git format-patch. The tree itself is not touched.")
    patch.add_argument("--tree", required=True, metavar="DIR", help="a git checkout of the kernel")
    patch.add_argument("-o", "--output", metavar="OUTDIR",
                       help="directory for the patch files (default: a new temporary directory)")
    patch.set_defaults(func=_run_gen_patch)


def _gen_target(args, **fixed):
    from toolkit.codegen.target import Target

    chosen = {"arch": getattr(args, "arch", "x86_64"), "style": getattr(args, "style", None),
              "delivery": getattr(args, "delivery", "idt")} | fixed
    if args.gap_words is not None:
        chosen["gap_words"] = args.gap_words
    if getattr(args, "helpers", None):
        chosen["helpers"] = tuple(args.helpers)
    if getattr(args, "mechanisms", None):
        chosen["mechanisms"] = tuple(args.mechanisms)
    return Target(**chosen)


def _run_gen(args) -> int:
    from toolkit.codegen import render
    from toolkit.errors import InputError, UsageError

    if getattr(args, "delivery", "idt") == "fred" and (args.gap_words is not None or args.style):
        raise UsageError("--gap-words and --style shape the IDT entry gap; "
                         "the FRED harness has none")
    if args.what == "prelude":
        from toolkit.codegen.target import Target

        target = Target(arch=args.arch)     # the prelude depends on the architecture alone
    else:
        target = _gen_target(args)
    text = {"header": render.render_header, "prelude": render.render_prelude,
            "entry": render.render_entry, "harness": render.render_harness}[args.what](target)
    if args.output:
        try:
            with open(args.output, "w") as stream:
                stream.write(text)
        except OSError as error:
            raise InputError("cannot write the output", path=args.output,
                             why=error.strerror) from None
    else:
        sys.stdout.write(text)
    return 0


def _run_gen_patch(args) -> int:
    import os
    import shutil
    import tempfile

    from toolkit import gitrepo
    from toolkit.codegen import install, render
    from toolkit.codegen.target import Target
    from toolkit.validate.code import check_builds, check_kernel_fixup
    from toolkit.x86 import ENTRY_32, ENTRY_64, TEXT_PATCHING_H

    # The tree decides the macro style of the gap block; one header serves both architectures,
    # so by default its push comment names both entry mechanisms.
    style = install.entry_style(gitrepo.head_file(args.tree, ENTRY_64), f"{args.tree}/{ENTRY_64}")
    target = _gen_target(args, style=style,
                         mechanisms=tuple(args.mechanisms or ("bp_gap", "fixup_frame")))
    # The x86_32 fix-up leaves the same number of words as the x86_64 gap, in the tree's layout.
    fixup = Target(arch="x86_32", gap_words=target.gap_words, helpers=target.helpers,
                   mechanisms=target.mechanisms)
    check_builds(target)
    check_kernel_fixup(fixup)
    edits = [
        gitrepo.FileRewrite(ENTRY_64, lambda text, path: install.install_gap(text, target, path),
                            render.commit_message("entry", target)),
        gitrepo.FileRewrite(TEXT_PATCHING_H,
                            lambda text, path: install.install_helpers(text, target, path),
                            render.commit_message("helpers", target)),
    ]
    # A tree before v5.3 has no x86_32 fix-up to regenerate; the other blocks still are.
    old_32 = not install.has_fixup(_head_file_or_empty(gitrepo, args.tree, ENTRY_32))
    if not old_32:
        edits.insert(1, gitrepo.FileRewrite(
            ENTRY_32, lambda text, path: install.install_fixup(text, fixup, path),
            render.commit_message("fixup", fixup)))
    outdir = args.output or tempfile.mkdtemp(prefix="toolkit-patches-")
    try:
        export = gitrepo.export_patches(args.tree, edits, outdir)
    except BaseException:
        if not args.output:
            shutil.rmtree(outdir, ignore_errors=True)
        raise
    if not (export.patches or args.output):
        os.rmdir(outdir)
    if old_32:
        print(f"{ENTRY_32}: no FIXUP_FRAME and IRET_FRAME in HEAD (they came in v5.3), "
              "not regenerated", file=sys.stderr)
    for path in export.unchanged:
        print(f"{path}: already as generated, no commit")
    for patch in export.patches:
        print(patch)
    print(f"{len(export.patches)} patch(es) on top of {export.base[:12]} (HEAD), made in a "
          f"temporary detached worktree; {args.tree} itself was not changed", file=sys.stderr)
    return 0


def _head_file_or_empty(gitrepo, tree: str, path: str) -> str:
    from toolkit.errors import InputError

    try:
        return gitrepo.head_file(tree, path)
    except InputError:
        return ""


@command("validate")
def _add_validate(sub):
    p = sub.add_parser("validate", help="run int3 helpers and entry gaps in an emulator",
                       description="Run the int3 emulation helpers and the entry gap in Unicorn "
                                   "against scenario tables: each helper against the real "
                                   "instruction, the whole int3 round trip, and negative controls. "
                                   "Exit 0 when all pass, 1 when any fails, 2 when some could "
                                   "not run.")
    source = p.add_mutually_exclusive_group()
    source.add_argument("--generated", action="store_true",
                        help="validate the toolkit's own generated code (the default)")
    source.add_argument("--tree", metavar="DIR",
                        help="validate a kernel tree's text-patching.h helpers and entry_64.S gap")
    p.add_argument("--arch", choices=("x86_64", "x86_32", "all"), default="all",
                   help="which architecture (default: all; x86_64 includes the FRED model)")
    p.add_argument("--table", action="append", metavar="FILE",
                   help="a scenario table (TOML) to run instead of the built-in ones; repeatable")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument("--evidence", metavar="DIR",
                   help="write a stack diagram (.svg and .txt) for every failed or caught scenario")
    p.add_argument("--build-limits", default="", metavar="LIMITS",
                   help="limits of each gcc/as/ld run and of the image run (default: mem=512M,"
                        "cpu=10,file=8M,wall=20,procs=32,image=4M; name only those to change)")
    p.set_defaults(func=_run_validate)


def _run_validate(args) -> int:
    import time
    from pathlib import Path

    from toolkit.emulate.limits import Limits
    from toolkit.report.validation import ValidationReport
    from toolkit.validate import code, runner, scenarios

    limits = Limits.parse(args.build_limits)
    evidence = Path(args.evidence) if args.evidence else None
    if evidence:
        # Made before the runs, so that a folder that cannot be made costs no emulation time.
        make_folder(evidence)
    tables = [Path(t) for t in args.table] if args.table else scenarios.builtin_tables()
    rows = [s for table in tables for s in scenarios.load_table(table)]
    arches = ("x86_64", "x86_32") if args.arch == "all" else (args.arch,)
    tree = Path(kernel_tree(args.tree)) if args.tree else None
    codes = [code.tree_code(tree, arch, delivery) if tree else code.generated_code(arch, delivery)
             for arch in arches for delivery in code.deliveries(arch)]
    started = time.perf_counter()
    results = []
    for under_test in codes:
        progress = _progress(under_test.label) if sys.stderr.isatty() else None
        results.append((under_test, tuple(runner.validate(under_test, rows, progress=progress,
                                                          limits=limits))))
    patching = ()
    if tree and "x86_64" in arches and not args.table:
        patching = (_patching(tree, limits),)
    report = ValidationReport(tuple(results), time.perf_counter() - started, patching)
    if evidence:
        _write_evidence(evidence, report)
    print(report.json() if args.format == "json" else report.text(), end="")
    return report.exit_code


def _patching(tree, limits) -> tuple:
    """(label, outcomes) of the tree's int3 batch on the patching table; a tree without one has
    every sequence skipped, saying why."""
    from toolkit.validate import alternative, code, patching
    from toolkit.validate.scenarios import Status

    label = f"{tree.name} x86_64 (int3 batch and handler of alternative.c from the tree)"
    try:
        return label, tuple(patching.run_tree(tree, code.generated_code("x86_64").prelude,
                                              limits=limits))
    except alternative.NoBatch as missing:
        return label, tuple(patching.Outcome(s, Status.SKIPPED, str(missing))
                            for s in patching.load())


def _progress(label: str):
    def show(done: int, total: int) -> None:
        end = "\n" if done == total else ""
        print(f"\rvalidate: {label}: {done}/{total}", end=end, file=sys.stderr, flush=True)
    return show


def _write_evidence(folder, report) -> None:
    import re

    from toolkit.errors import InputError
    from toolkit.validate import pictures

    for code, outcomes in report.results:
        for outcome in outcomes:
            if not outcome.evidence:
                continue
            stem = re.sub(r"[^A-Za-z0-9_.+-]+", "_", f"{code.label}-{outcome.scenario.name}")
            rows = outcome.evidence["stack"]
            title = f"{code.label}: {outcome.scenario.name} ({outcome.status})"
            try:
                (folder / f"{stem}.svg").write_text(pictures.stack_svg(rows, title))
                (folder / f"{stem}.txt").write_text(f"{title}\n{outcome.reason}\n\n"
                                                    + pictures.text(outcome.evidence))
            except OSError as error:
                raise InputError("cannot write the evidence", path=error.filename or str(folder),
                                 why=error.strerror) from None
    for label, outcomes in report.patching:
        for outcome in outcomes:
            if outcome.picture:
                stem = re.sub(r"[^A-Za-z0-9_.+-]+", "_", f"{label}-{outcome.sequence.name}")
                try:
                    (folder / f"{stem}.txt").write_text(f"{label}: {outcome.sequence.name}\n"
                                                        f"{outcome.reason}\n\n{outcome.picture}")
                    (folder / f"{stem}.svg").write_text(outcome.evidence["picture_svg"])
                except OSError as error:
                    raise InputError("cannot write the evidence", path=str(folder),
                                     why=error.strerror) from None
