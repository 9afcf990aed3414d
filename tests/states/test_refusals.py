"""What the states refuse to read in: includes are judged where they stand, with '..' taken from
the including file's folder, and only a name that leaves the tree is refused."""

import pytest

from toolkit.states.refusals import include_refusal

REFUSED = "refused: {} of {}, which is outside the tree"


@pytest.mark.parametrize("path, line, refused", [
    # the vDSO's enclave stub reaching the entry code's macros: arch/x86/entry/calling.h
    ("arch/x86/entry/vdso/vsgx.S", '#include "../calling.h"', None),
    # a self test reaching a uapi header through four folders: still below the top
    ("tools/testing/selftests/sgx/main.c",
     '#include "../../../../arch/x86/include/asm/sgx.h"', None),
    # one folder more than the file is deep climbs above the top of the tree
    ("arch/x86/entry/entry_64.S", '.incbin "../../../../secret"',
     REFUSED.format(".incbin", "../../../../secret")),
    # an absolute name is never the tree's
    ("arch/x86/entry/entry_64.S", '.incbin "/etc/hostname"',
     REFUSED.format(".incbin", "/etc/hostname")),
    ("arch/x86/include/asm/text-patching.h", "#include </etc/passwd>",
     REFUSED.format("#include", "/etc/passwd")),
    # <..> is looked for in every folder of the include path, include/ the shallowest
    ("arch/x86/include/asm/text-patching.h", "#include <../asm-generic/x.h>", None),
    ("arch/x86/include/asm/text-patching.h", "#include <../../x.h>",
     REFUSED.format("#include", "../../x.h")),
    # an include of the tree's own file is for the build to judge, not a refusal
    ("arch/x86/entry/entry_64.S", '.include "gap_copy.S"', None),
    ("arch/x86/entry/entry_64.S", "\tpushq\t5*8(%rsp)", None),
])
def test_include_refusal(path, line, refused):
    assert include_refusal(path, line) == refused
