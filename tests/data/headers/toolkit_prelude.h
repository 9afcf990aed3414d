/* A stand-in for the generated toolkit_prelude.h, only for compiling emitted helpers in the
 * tests: the kernel type names, the flag bits jcc tests, and an x86_64 struct pt_regs. */
#ifndef TOOLKIT_PRELUDE_H
#define TOOLKIT_PRELUDE_H

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;
typedef signed int s32;
typedef _Bool bool;

#define __always_inline inline __attribute__((__always_inline__))

#define X86_EFLAGS_CF_BIT 0
#define X86_EFLAGS_PF_BIT 2
#define X86_EFLAGS_ZF_BIT 6
#define X86_EFLAGS_SF_BIT 7
#define X86_EFLAGS_OF_BIT 11
#define X86_EFLAGS_CF (1UL << X86_EFLAGS_CF_BIT)
#define X86_EFLAGS_PF (1UL << X86_EFLAGS_PF_BIT)
#define X86_EFLAGS_ZF (1UL << X86_EFLAGS_ZF_BIT)
#define X86_EFLAGS_SF (1UL << X86_EFLAGS_SF_BIT)
#define X86_EFLAGS_OF (1UL << X86_EFLAGS_OF_BIT)

struct pt_regs {
	unsigned long r15, r14, r13, r12, bp, bx, r11, r10, r9, r8;
	unsigned long ax, cx, dx, si, di, orig_ax, ip, cs, flags, sp, ss;
};

#endif
