"""The emulated machine's map for each architecture: text, stacks, GDT, selectors and registers."""

from __future__ import annotations

from dataclasses import dataclass

PAGE = 0x1000
STACK_SIZE = 4 * PAGE


@dataclass(frozen=True, slots=True)
class Layout:
    """Where everything sits in the emulated address space of one architecture.

    `sites` is a page of kernel text that holds the instruction under test at `site` and `hlt` in
    every other byte, so that any jump or return into it stops the run where it landed.
    """

    arch: str
    word: int
    sites: int
    stack: int            # lowest address of the kernel stack; its top is stack + STACK_SIZE
    task_stack: int       # lowest address of the task stack; events from ring 3 switch to its top
    user_sites: int
    user_stack: int
    gdt: int
    kernel_cs: int
    kernel_ss: int
    user_cs: int
    user_ss: int
    registers: tuple[str, ...]   # general registers, then pc, flags and the two selectors

    @property
    def site(self) -> int:
        return self.sites + PAGE // 2

    @property
    def user_site(self) -> int:
        return self.user_sites + PAGE // 2

    @property
    def stack_top(self) -> int:
        return self.stack + STACK_SIZE

    @property
    def task_top(self) -> int:
        return self.task_stack + STACK_SIZE

    @property
    def user_stack_top(self) -> int:
        return self.user_stack + STACK_SIZE

    @property
    def pc(self) -> str:
        return self.registers[-4]

    @property
    def sp(self) -> str:
        return "rsp" if self.word == 8 else "esp"

    @property
    def flags(self) -> str:
        return self.registers[-3]

# Selectors are Linux's own (x86_64: __KERNEL_CS 0x10, __KERNEL_DS 0x18, __USER_DS 0x2b, __USER_CS
# 0x33; x86_32: 0x60, 0x68, 0x73, 0x7b) so that a saved CS in evidence reads as it would in an oops.
LAYOUTS = {
    "x86_64": Layout(
        "x86_64", 8, sites=0xFFFFFFFF82000000, stack=0xFFFFC90000010000,
        task_stack=0xFFFFC90000020000, user_sites=0x400000, user_stack=0x7FFFFFFF0000,
        gdt=0xFFFFFFFF82100000, kernel_cs=0x10, kernel_ss=0x18, user_cs=0x33, user_ss=0x2B,
        registers=("rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp", "r8", "r9", "r10", "r11",
                   "r12", "r13", "r14", "r15", "rip", "rflags", "cs", "ss")),
    "x86_32": Layout(
        "x86_32", 4, sites=0xC2000000, stack=0xC3010000, task_stack=0xC3020000,
        user_sites=0x08048000, user_stack=0xBFFF0000, gdt=0xC2100000, kernel_cs=0x60,
        kernel_ss=0x68, user_cs=0x73, user_ss=0x7B,
        registers=("eax", "ebx", "ecx", "edx", "esi", "edi", "ebp", "esp", "eip", "eflags", "cs",
                   "ss")),
}
