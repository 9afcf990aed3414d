"""The patch id of a mail's diff against `git patch-id --stable` on every mail of the test data,
and the changes it must not see."""

import subprocess
from pathlib import Path

from toolkit.mail.mbox import raw_mails
from toolkit.mail.patchid import patch_id

DATA = Path(__file__).parents[1] / "data"
DIFF = [b"diff --git a/arch/x86/kernel/poke.c b/arch/x86/kernel/poke.c\n",
        b"index 1111111..2222222 100644\n",
        b"--- a/arch/x86/kernel/poke.c\n", b"+++ b/arch/x86/kernel/poke.c\n",
        b"@@ -10,3 +10,3 @@ int poke(void)\n", b" \tint k;\n", b"-\treturn 0;\n",
        b"+\treturn k;\n", b" }\n"]
OTHER = [b"diff --git a/arch/x86/kernel/gap.c b/arch/x86/kernel/gap.c\n",
         b"--- a/arch/x86/kernel/gap.c\n", b"+++ b/arch/x86/kernel/gap.c\n",
         b"@@ -1 +1 @@\n", b"-int gap;\n", b"+long gap;\n"]


def _git_patch_id(mail: bytes) -> str | None:
    done = subprocess.run(["git", "patch-id", "--stable"], input=mail, capture_output=True,
                          check=True)
    return done.stdout.split()[0].decode() if done.stdout else None


def test_every_mail_of_the_test_data_has_gits_patch_id():
    compared = with_diff = 0
    for path in sorted(DATA.rglob("*")):
        if path.suffix not in (".mbox", ".eml", ".mbx", ".patch") or not path.is_file():
            continue
        for raw in raw_mails(str(path)):
            ours = patch_id(raw.lines)
            assert ours == _git_patch_id(b"".join(raw.lines)), f"{path}:{raw.first}"
            compared += 1
            with_diff += ours is not None
    assert compared > 250 and with_diff > 150, (compared, with_diff)


def test_the_id_ignores_place_blanks_index_lines_and_file_order():
    first = patch_id(DIFF + OTHER)
    moved = [line.replace(b"-10,3 +10,3", b"-90,3 +91,3") for line in DIFF]
    spaced = [line.replace(b"\t", b"    ") for line in DIFF]
    no_index = [line for line in DIFF if not line.startswith(b"index ")]
    assert first == patch_id(OTHER + DIFF) == patch_id(moved + OTHER) == \
        patch_id(spaced + OTHER) == patch_id(no_index + OTHER)
    assert first != patch_id(DIFF) != patch_id([line.replace(b"return k", b"return -k")
                                                for line in DIFF])


def test_the_id_ends_with_the_diff_not_with_the_mail():
    signed = [b"A message.\n", b"\n", b"Signed-off-by: A <a@example.org>\n", b"---\n",
              *DIFF, b"-- \n", b"2.43.0\n", b"\n"]
    assert patch_id(signed) == patch_id(DIFF) and patch_id([b"no diff here\n"]) is None


def test_a_mail_has_one_id_whether_read_whole_or_by_its_envelope():
    for path in sorted(DATA.rglob("*.mbox")):
        for raw in raw_mails(str(path)):
            assert raw.envelope().patch_id == raw.decoded().patch_id, f"{path}:{raw.first}"
