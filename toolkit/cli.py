"""The `toolkit` command line: parses arguments, calls the library, prints, and sets the exit code."""

from __future__ import annotations

import argparse
import sys

from toolkit import __version__
from toolkit.errors import ToolkitError

# Each command is a pair: `_add_<name>(subparsers)` declares its arguments and sets `func` to
# `_run_<name>(args) -> int`. Library modules are imported inside the `_run_` functions so that a
# command pays only for the imports it needs (unicorn and pycparser are slow to load).


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="toolkit",
        description="Review and code generation for x86 int3 text-patching patches.")
    parser.add_argument("--version", action="version", version=f"toolkit {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for add in _COMMANDS:
        add(sub)
    return parser


_COMMANDS: list = []


def command(add):
    """Register a function that adds one sub-command to the parser."""
    _COMMANDS.append(add)
    return add


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
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


# --- commands ------------------------------------------------------------------------------------


@command
def _add_parse(sub):
    p = sub.add_parser("parse", help="show the model of a header or of struct pt_regs",
                       description="Show what the toolkit reads from C text: the functions, "
                                   "macros, #if regions and unparsed parts of a header.")
    what = p.add_subparsers(dest="what", metavar="WHAT")
    what.required = True
    header = what.add_parser("header", help="model a header file (e.g. text-patching.h)")
    header.add_argument("path", metavar="FILE")
    header.add_argument("--format", choices=("text", "json"), default="text")
    header.set_defaults(func=_run_parse_header)


def _run_parse_header(args) -> int:
    import json

    from toolkit import cheader

    model = cheader.read_header(args.path)
    if args.format == "json":
        print(json.dumps(model.to_dict(), indent=2))
    else:
        print(cheader.describe(model), end="")
    return 0
