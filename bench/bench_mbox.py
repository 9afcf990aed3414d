"""Reading speed and peak memory of large generated mboxes (run by hand).

    .venv/bin/python bench/bench_mbox.py [COUNT ...]   (default: 5000 50000)

For each count, writes an mbox of that many mails to a temporary directory (patch mails in
quoted-printable and 8bit, each followed by a review), then prints mails/second for
read_messages(), and its peak traced memory in a second pass. Peak memory staying flat from the
small to the large mbox shows that messages are streamed. read_series() keeps every mail of the
file, so its peak is printed too, for the smaller count only.
"""

import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from toolkit.mail import read_messages
from toolkit.series import read_series


def _patch(k: int, total: int) -> str:
    # every other patch is quoted-printable, with a soft break in an added line
    qp = k % 2 == 0
    body = (f"Emulate call site {k} from the int3 handler.\n\n"
            f"Signed-off-by: Sam Okafor <sam@example.org>\n---\n"
            f" arch/x86/kernel/site{k}.c | 2 +-\n 1 file changed, 1 insertion(+), 1 deletion(-)\n\n"
            f"diff --git a/arch/x86/kernel/site{k}.c b/arch/x86/kernel/site{k}.c\n"
            f"--- a/arch/x86/kernel/site{k}.c\n+++ b/arch/x86/kernel/site{k}.c\n"
            f"@@ -10,3 +10,3 @@ int handler(struct pt_regs *regs)\n {{\n"
            f"-\tregs->ip +{'=3D' if qp else '='} 4;\n"
            f"+\tint3_emulate_call(regs, (unsigned long)target_{k});{'=' if qp else ''}\n"
            f" }}\n-- \n2.40.0\n")
    encoding = "quoted-printable" if qp else "8bit"
    return (f"From sam Mon Sep 17 00:00:00 2001\nFrom: Sam Okafor <sam@example.org>\n"
            f"Subject: [PATCH {k}/{total}] x86: call site {k}\nMessage-ID: <{k}@example.org>\n"
            f"Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: {encoding}\n\n"
            f"{body}\n")


def _review(k: int, total: int) -> str:
    return (f"From lena Mon Sep 17 00:00:00 2001\nFrom: Lena Brandt <lena@example.org>\n"
            f"Subject: Re: [PATCH {k}/{total}] x86: call site {k}\n"
            f"In-Reply-To: <{k}@example.org>\n\n"
            f"> +\tint3_emulate_call(regs, (unsigned long)target_{k});\n\n"
            f"Where is the room for the return address?\n\n"
            f"Reviewed-by: Lena Brandt <lena@example.org>\n\n")


def _write(path: Path, count: int) -> None:
    patches = count // 2
    with path.open("w") as out:
        for k in range(1, patches + 1):
            out.write(_patch(k, patches))
            out.write(_review(k, patches))


def _peak(work) -> float:
    """Peak traced memory in MiB while running work()."""
    tracemalloc.start()
    try:
        work()
        return tracemalloc.get_traced_memory()[1] / (1 << 20)
    finally:
        tracemalloc.stop()


def _count(path: Path) -> int:
    return sum(1 for _ in read_messages(str(path)))


def main(argv: list[str]) -> int:
    counts = [int(a) for a in argv] or [5000, 50000]
    with tempfile.TemporaryDirectory() as tmp:
        for count in counts:
            path = Path(tmp) / f"{count}.mbox"
            _write(path, count)
            started = time.perf_counter()
            read = _count(path)
            seconds = time.perf_counter() - started
            peak = _peak(lambda: _count(path))
            size = path.stat().st_size / (1 << 20)
            print(f"{read} mails, {size:.1f} MiB: read_messages {read / seconds:,.0f} mails/s, "
                  f"peak {peak:.2f} MiB")
        small = Path(tmp) / f"{counts[0]}.mbox"
        started = time.perf_counter()
        series = read_series(str(small))
        seconds = time.perf_counter() - started
        peak = _peak(lambda: read_series(str(small)))
        print(f"{series.messages_read} mails: read_series {series.messages_read / seconds:,.0f} "
              f"mails/s, peak {peak:.1f} MiB (keeps the whole series)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
