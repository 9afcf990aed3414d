"""The int3 batch of an alternative.c cut out, built and run on the patching table: the test
file tests/data/patching/alternative.c (written for these tests in the kernel's shape) must pass
every sequence, and each fault of tests/data/patching/faults.toml must be caught."""

import tomllib
from pathlib import Path

import pytest

from toolkit.cmodel import header as cheader
from toolkit.errors import InputError
from toolkit.validate import alternative, patching
from toolkit.validate.code import generated_code
from toolkit.validate.scenarios import Status

DATA = Path(__file__).parents[1] / "data" / "patching"
TEXT = (DATA / "alternative.c").read_text()
FAULTS = tomllib.loads((DATA / "faults.toml").read_text())["fault"]
assert FAULTS, "no faults: an empty table would pass vacuously"


@pytest.fixture(scope="module")
def parts():
    generated = generated_code("x86_64")
    # The generated header has the helpers and opcodes; a kernel's also has the vector size.
    header = cheader.parse_header(generated.header + "#define POKE_MAX_OPCODE_SIZE 5\n",
                                  "text-patching.h")
    return header, generated.prelude


def run(text, parts, cache):
    header, prelude = parts
    return patching.run_texts(text, header, prelude, origin="alternative.c", cache=cache)


def test_the_batch_is_cut_from_the_struct_to_the_last_function():
    batch = alternative.find_batch(TEXT)
    lines = TEXT.splitlines()
    assert lines[batch.first - 1].startswith("struct text_poke_loc {")
    assert lines[batch.last - 1] == "}" and "text_poke_bp(" in "\n".join(lines[batch.last - 8:])
    assert "unrelated_before" not in batch.text and "unrelated_after" not in batch.text
    assert batch.names == {"handler": "poke_int3_handler", "queue": "text_poke_queue",
                           "finish": "text_poke_finish", "single": "text_poke_bp",
                           "process": "text_poke_bp_batch"}
    assert batch.era.startswith("2019-2024")


def test_the_2025_names_are_found():
    renamed = (TEXT.replace("poke_int3_handler", "smp_text_poke_int3_handler")
               .replace("text_poke_queue", "smp_text_poke_batch_add")
               .replace("text_poke_finish", "smp_text_poke_batch_finish")
               .replace("text_poke_bp(", "smp_text_poke_single(")
               .replace("struct text_poke_loc {", "struct smp_text_poke_loc {"))
    batch = alternative.find_batch(renamed)
    assert batch.names["single"] == "smp_text_poke_single"
    assert batch.era.startswith("2025")


def test_a_file_without_the_handler_has_no_batch():
    with pytest.raises(alternative.NoBatch, match="poke_int3_handler"):
        alternative.find_batch(TEXT.replace("poke_int3_handler", "other_handler"), "a.c")


def test_a_brace_in_a_comment_or_string_does_not_end_a_function():
    lines = ["int f(void)\n", "{\n", "\t/* } */ char *s = \"}\";\n", "\treturn '}';\n", "}\n"]
    assert alternative.function_span(lines, "f") == (0, 4)
    assert alternative.function_span(["int f(void);\n"], "f") is None


def test_every_sequence_passes_on_a_correct_batch(parts, cache):
    outcomes = run(TEXT, parts, cache)
    assert {o.status for o in outcomes} == {Status.PASSED}, [o.reason for o in outcomes]
    assert len(outcomes) == len(patching.load())


@pytest.mark.parametrize("fault", FAULTS, ids=[f["name"] for f in FAULTS])
def test_a_fault_is_caught_by_its_sequence(fault, parts, cache):
    assert TEXT.count(fault["old"]) == 1
    outcomes = run(TEXT.replace(fault["old"], fault["new"]), parts, cache)
    caught = {o.sequence.name: o for o in outcomes if o.status is Status.FAILED}
    assert fault["caught_by"] in caught
    assert caught[fault["caught_by"]].reason.startswith(fault["caught_as"])
    assert not [o.reason for o in outcomes if o.status is Status.ERROR]


def test_a_failure_names_the_step_site_and_bytes_with_a_picture(parts, cache):
    fault = next(f for f in FAULTS if f["name"] == "no-sync-after-int3")
    outcome = next(o for o in run(TEXT.replace(fault["old"], fault["new"]), parts, cache)
                   if o.sequence.name == "single/nop5-to-call")
    # step 1 writes the int3, step 2 the tail: the old first byte may still be seen before it
    assert outcome.step == 2 and outcome.site == "a"
    assert "write f0 01 00 00 at a+1" in outcome.reason and "reads 0f f0 01 00 00" in outcome.reason
    assert outcome.picture.splitlines()[-1].endswith("<-- here")
    assert "cc f0 01 00 00" in outcome.picture.splitlines()[-1]
    svg = outcome.evidence["picture_svg"]
    assert svg.startswith("<svg") and svg.count("<rect") == 2 * 5 * 3  # 3 rows of 5 bytes, twice
    assert 'stroke="#c00000"' in svg and "write f0 01 00 00 at a+1" in svg


def test_a_batch_without_a_queue_skips_the_batched_sequences():
    batch = alternative.Batch("", 1, 1, {"handler": "poke_int3_handler", "single": "text_poke_bp"})
    skipped = [s.name for s in patching.load() if patching.skip_reason(s, batch)]
    assert "batch/sorted" in skipped and "single/nop5-to-call" not in skipped


TEXT_2019 = (DATA / "alternative-2019.c").read_text()


def test_the_2019_single_poke_runs_what_it_can(parts, cache):
    batch = alternative.find_batch(TEXT_2019)
    assert batch.names == {"handler": "poke_int3_handler", "single": "text_poke_bp"}
    assert batch.resumes and batch.era.startswith("2019 ")
    outcomes = {o.sequence.name: o for o in run(TEXT_2019, parts, cache)}
    assert outcomes["single/nop5-to-call"].status is Status.PASSED
    assert outcomes["single/int3"].status is Status.PASSED
    assert "no queue" in outcomes["batch/sorted"].reason
    assert "from or to a nop" in outcomes["single/jcc8"].reason
    assert not [o for o in outcomes.values() if o.status in (Status.FAILED, Status.ERROR)]


TEXT_2019_VECTOR = (DATA / "alternative-2019-vector.c").read_text()
# Late 2019 declares the site struct in text-patching.h (jump_label.c fills the vector).
SITE_STRUCT = ("struct text_poke_loc {\n\tvoid *detour;\n\tvoid *addr;\n\tsize_t len;\n"
               "\tconst char opcode[POKE_MAX_OPCODE_SIZE];\n};\n")


@pytest.fixture(scope="module")
def parts_2019(parts):
    header, prelude = parts
    generated = generated_code("x86_64")
    return cheader.parse_header(generated.header + "#define POKE_MAX_OPCODE_SIZE 5\n"
                                + SITE_STRUCT, "text-patching.h"), prelude


def test_the_late_2019_vector_runs_with_the_struct_of_its_header(parts_2019, cache):
    batch = alternative.find_batch(TEXT_2019_VECTOR)
    assert batch.text.startswith("static struct bp_patching_desc {")
    assert batch.resumes and batch.era.startswith("2019 ")
    outcomes = {o.sequence.name: o for o in run(TEXT_2019_VECTOR, parts_2019, cache)}
    assert outcomes["single/nop5-to-call"].status is Status.PASSED
    assert outcomes["single/jmp8"].status is Status.PASSED
    assert not [(n, o.reason) for n, o in outcomes.items()
                if o.status in (Status.FAILED, Status.ERROR)]


def test_a_fault_in_the_late_2019_vector_is_caught(parts_2019, cache):
    old = "\tif (key < site->addr)\n\t\treturn -1;\n\treturn key > site->addr;"
    assert TEXT_2019_VECTOR.count(old) == 1
    wrong = "\tif (key < site->addr)\n\t\treturn -1;\n\treturn key >= site->addr;"
    outcome = next(o for o in run(TEXT_2019_VECTOR.replace(old, wrong), parts_2019, cache)
                   if o.sequence.name == "single/nop5-to-call")
    assert outcome.status is Status.FAILED
    assert outcome.reason.startswith("a trap the handler does not claim")


@pytest.mark.parametrize("old, new, caught_as", [
    ("\ton_each_cpu(do_sync_core, NULL, 1);\n\tif (len", "\tif (len", "a torn instruction"),
    ("regs->ip = (unsigned long)bp_int3_handler;", "regs->ip = (unsigned long)bp_int3_addr;",
     "emulated as another instruction")])
def test_a_fault_in_the_2019_single_poke_is_caught(old, new, caught_as, parts, cache):
    assert TEXT_2019.count(old) == 1
    outcome = next(o for o in run(TEXT_2019.replace(old, new), parts, cache)
                   if o.sequence.name == "single/nop5-to-call")
    assert outcome.status is Status.FAILED and outcome.reason.startswith(caught_as)


@pytest.mark.parametrize("body, message", [
    ('[insn]\nx = "zz"\n', "is not hex bytes"),
    ('[[sequence]]\nsites = [["a", 0, "nop", "nop"]]\n', "no instruction 'nop'"),
    ('[insn]\nn = "90"\n[[sequence]]\nsites = [["a", 0, "n", "n"]]\ncalls = ["single b"]\n',
     "names no site"),
    ('[insn]\nn = "90"\nm = "66 90"\n[[sequence]]\nsites = [["a", 0, "n", "m"]]\n',
     "changes length"),
])
def test_a_bad_table_is_an_error_naming_the_file(tmp_path, body, message):
    path = tmp_path / "t.toml"
    path.write_text(body)
    with pytest.raises(InputError, match=message) as error:
        patching.load(path)
    assert "t.toml" in str(error.value)


def test_a_batch_that_never_ends_costs_one_bound(parts, cache):
    endless = TEXT.replace("\tsmp_rmb();\n", "\tsmp_rmb();\n\tfor (;;)\n\t\tbarrier();\n", 1)
    outcomes = run(endless, parts, cache)
    assert outcomes[0].status is Status.ERROR and "stopped by limit" in outcomes[0].reason
    assert {o.status for o in outcomes[1:]} == {Status.ERROR}
    assert all(o.reason.startswith("not run: single/nop5-to-call did not end")
               for o in outcomes[1:])
