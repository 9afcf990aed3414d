"""The int3 batch and handler of a tree's alternative.c, cut out and built with the toolkit's own environment.

The part taken is the text from the batch's location struct to the end of the last of its
functions, as the tree has it, under whichever names its era uses: `text_poke_bp` alone (2019),
`text_poke_queue`/`text_poke_finish`/`text_poke_bp_batch` beside it (2019-2024), or the
`smp_text_poke_*` functions (2025). It is compiled as one translation unit after
`handlers/patching_env.h` (what the rest of the kernel gives it, kept minimal) and before
`handlers/patching_driver.h` (the scenario and the other CPU), with the tree's helpers of
text-patching.h, and linked at kernel addresses by the real toolchain.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

from toolkit.cmodel import header as cheader
from toolkit.emulate.build import Image, SourceFile, build
from toolkit.errors import InputError
from toolkit.x86 import ALTERNATIVE_C

#: The roles of the batch's functions and each era's names for them, newest first.
NAMES = {
    "handler": ("smp_text_poke_int3_handler", "poke_int3_handler"),
    "queue": ("smp_text_poke_batch_add", "text_poke_queue"),
    "finish": ("smp_text_poke_batch_finish", "text_poke_finish"),
    "single": ("smp_text_poke_single", "text_poke_bp"),
    "process": ("smp_text_poke_batch_process", "text_poke_bp_batch"),
}
#: Where the part starts: the location struct, the descriptor (v5.3 and v5.4 keep the struct
#: in text-patching.h, for jump_label.c), or the state of the single poke of 2019.
STARTS = ("struct smp_text_poke_loc {", "struct text_poke_loc {", "struct bp_patching_desc {",
          "static struct bp_patching_desc {", "static bool bp_patching_in_progress;")
#: The helpers the handler calls (push and pop come along as their callees).
HELPERS = ("int3_emulate_jmp", "int3_emulate_call", "int3_emulate_ret", "int3_emulate_jcc")

#: Names that only the batch's part of the file uses: a hunk that shows one is about it.
WORDS = tuple(name for names in NAMES.values() for name in names) + (
    "text_poke_loc", "bp_desc", "bp_patching", "tp_vec", "text_poke_array", "patch_cmp",
    "text_poke_addr", "try_get_desc", "put_desc", "text_poke_flush", "tp_order_fail")

_MACRO = re.compile(r"\b[A-Z][A-Z0-9_]*\b")


class NoBatch(Exception):
    """The file has no int3 batch the toolkit can run (the message says what is missing)."""


@dataclass(frozen=True, slots=True)
class Batch:
    """The int3 part of one alternative.c: its text, the file lines it spans (1-based, both
    included) and the tree's name for each role present (`names`: role -> function)."""

    text: str
    first: int
    last: int
    names: dict

    def has(self, role: str) -> bool:
        return role in self.names

    @property
    def resumes(self) -> bool:
        """Whether a trap resumes at an address the caller gives (2019: text_poke_bp's last
        parameter is a handler address, not an instruction to emulate)."""
        return re.search(rf"\b{self.names['single']}\s*\([^)]*\bvoid\s*\*\s*handler\s*\)",
                         self.text) is not None

    @property
    def era(self) -> str:
        if self.names.get("handler", "").startswith("smp_"):
            return "2025 (smp_text_poke_*)"
        return "2019-2024 (text_poke_queue)" if self.has("queue") else "2019 (text_poke_bp)"


def find_batch(text: str, path: str = ALTERNATIVE_C) -> Batch:
    """The int3 part of `text` (an alternative.c); NoBatch when it has no handler, no single
    poke or no location struct."""
    lines = text.splitlines(keepends=True)
    found = {}
    spans = []
    for role, names in NAMES.items():
        for name in names:
            span = function_span(lines, name)
            if span:
                found[role] = name
                spans.append(span)
                break
    missing = [role for role in ("handler", "single") if role not in found]
    if missing:
        raise NoBatch(f"{path} has no {' or '.join(NAMES[r][-1] for r in missing)} "
                      "(the int3 batch of text patching)")
    starts = [n for n, line in enumerate(lines) for start in STARTS if line.startswith(start)]
    first = min(n for n in starts if n <= min(a for a, _ in spans)) if starts else None
    if first is None:
        raise NoBatch(f"{path} has no text_poke_loc struct before its int3 handler")
    last = max(b for _, b in spans)
    return Batch("".join(lines[first:last + 1]), first + 1, last + 1, found)


def function_span(lines: list[str], name: str) -> tuple[int, int] | None:
    """(first, last) 0-based lines of the definition of function `name`: from the line that
    names it (or the line above, for a return type on its own line) to its closing brace."""
    pattern = re.compile(rf"^[A-Za-z_].*\b{re.escape(name)}\s*\(")
    for n, line in enumerate(lines):
        if not pattern.match(line) or line.rstrip().endswith(";"):
            continue
        end = _closing_brace(lines, n)
        if end is None:
            continue
        start = n - 1 if n and re.match(r"^[A-Za-z_][\w\s\*]*$", lines[n - 1].strip() or "-") \
            and not lines[n - 1].rstrip().endswith((";", "}", "*/")) else n
        return start, end
    return None


def _closing_brace(lines: list[str], start: int) -> int | None:
    """The line of the brace that closes the body opened after line `start`; comments, strings
    and character literals are skipped. None when a `;` comes first (a declaration)."""
    depth, opened, state = 0, False, None
    for n in range(start, len(lines)):
        line, i = lines[n], 0
        while i < len(line):
            c, pair = line[i], line[i:i + 2]
            if state == "block":
                if pair == "*/":
                    state, i = None, i + 1
            elif state in ('"', "'"):
                if c == "\\":
                    i += 1
                elif c == state:
                    state = None
            elif pair == "/*":
                state, i = "block", i + 1
            elif pair == "//":
                break
            elif c in ('"', "'"):
                state = c
            elif c == "{":
                depth, opened = depth + 1, True
            elif c == "}":
                depth -= 1
                if opened and depth == 0:
                    return n
            elif c == ";" and not opened and depth == 0:
                return None
            i += 1
    return None


def touches(section: str, texts: list[str]) -> bool:
    """Whether a hunk (its `@@` section line and its lines) is about the batch."""
    return any(re.search(rf"\b{word}\b", text) for word in WORDS for text in (section, *texts))


def handler_text(name: str) -> str:
    return (resources.files("toolkit.validate") / "handlers" / name).read_text()


def sources(batch: Batch, header: cheader.HeaderModel, prelude: str,
            origin: str = ALTERNATIVE_C) -> list[SourceFile]:
    """The files of the build: the prelude, the tree's helpers with the constants the batch
    uses from text-patching.h, the calls of this era, the environment, and the batch itself
    (under `#line`, so that a compiler message names the tree's file and line)."""
    helpers = [h for h in HELPERS if header.function(h)]
    # only those the handler calls: the one of v5.3 and v5.4 resumes at the caller's address
    missing = [h for h in HELPERS if h not in helpers and h != "int3_emulate_jcc"
               and re.search(rf"\b{h}\b", batch.text)]
    if missing:
        raise InputError(f"no {', '.join(missing)} for the int3 handler to call",
                         path=header.path)
    unit = cheader.translation_unit(header, helpers)
    # the site struct, where the era declares it in text-patching.h (v5.3, v5.4)
    structs = "".join(_struct_text(s) for s in header.structs
                      if s.kind == "struct" and s.name and f"struct {s.name} {{" not in batch.text
                      and re.search(rf"\bstruct {s.name}\b", batch.text))
    constants = []
    for name in sorted(set(_MACRO.findall(batch.text + structs))):
        macro = header.macro(name)
        if macro is not None and macro.value is not None and f"#define {name}" not in unit:
            constants.append(f"#define {name} {macro.body}\n")
    have = "".join(f"#define TOOLKIT_HAVE_{h.upper()} 1\n" for h in helpers)
    names = batch.names
    absent = 'toolkit_bug("no such call in this tree", 0)'
    # In 2019 the caller named where a trap resumes: past the site, as jump labels did.
    single = (f"#define TOOLKIT_RESUMES 1\n#define TOOLKIT_SINGLE_CALL(addr, opcode, len, emulate) "
              f"{names['single']}((addr), (opcode), (len), (char *)(addr) + (len))\n"
              if batch.resumes else f"#define TOOLKIT_SINGLE_CALL {names['single']}\n")
    api = (f"#define TOOLKIT_HANDLER {names['handler']}\n" + single
           + (f"#define TOOLKIT_QUEUE_CALL {names['queue']}\n" if "queue" in names else
              f"#define TOOLKIT_QUEUE_CALL(...) {absent}\n")
           + (f"#define TOOLKIT_FINISH_CALL {names['finish']}\n" if "finish" in names else
              f"#define TOOLKIT_FINISH_CALL(...) {absent}\n"))
    unit_c = ('#include "toolkit_patching_env.h"\n'
              f'#line {batch.first} "{origin}"\n{batch.text}\n'
              '#include "toolkit_patching_driver.h"\n')
    return [SourceFile("toolkit_prelude.h", prelude),
            SourceFile("text-patching.h", unit + "".join(constants) + structs + have),
            SourceFile("toolkit_patching_api.h", api),
            SourceFile("toolkit_patching_env.h", handler_text("patching_env.h")),
            SourceFile("toolkit_patching_driver.h", handler_text("patching_driver.h")),
            SourceFile("alternative.c", unit_c)]


def _struct_text(struct: cheader.Aggregate) -> str:
    """A struct of the header the batch uses but does not define, written out from the model."""
    fields = []
    for field in struct.fields:
        base, bracket, rest = field.type.partition("[")
        fields.append(f"\t{base.rstrip()} {field.name}{bracket + rest if bracket else ''};\n")
    return f"struct {struct.name} {{\n{''.join(fields)}}};\n"


def build_batch(batch: Batch, header: cheader.HeaderModel, prelude: str, *,
                origin: str = ALTERNATIVE_C, **options) -> Image:
    """The batch built and linked for x86_64, cached by content as every build is (`options`:
    build()'s cache, limits and deadline)."""
    return build(sources(batch, header, prelude, origin), "x86_64", **options)
