/*
 * Generated from templates/toolkit_prelude.h.j2 by toolkit gen — do not edit.
 * Parameters: arch=x86_64
 */
/*
 * The kernel names the generated and extracted helpers use, for compiling
 * them outside a kernel tree.
 */
#ifndef TOOLKIT_PRELUDE_H
#define TOOLKIT_PRELUDE_H

typedef unsigned char u8;
typedef signed char s8;
typedef unsigned short u16;
typedef signed short s16;
typedef unsigned int u32;
typedef signed int s32;
typedef unsigned long long u64;
typedef signed long long s64;
typedef _Bool bool;
typedef unsigned long size_t;

#define true	1
#define false	0
#define offsetof(type, member)	__builtin_offsetof(type, member)
#define __always_inline	inline __attribute__((__always_inline__))
#define BUG()	__builtin_trap()

#define X86_EFLAGS_CF_BIT	0
#define X86_EFLAGS_CF	0x00000001UL
#define X86_EFLAGS_PF_BIT	2
#define X86_EFLAGS_PF	0x00000004UL
#define X86_EFLAGS_ZF_BIT	6
#define X86_EFLAGS_ZF	0x00000040UL
#define X86_EFLAGS_SF_BIT	7
#define X86_EFLAGS_SF	0x00000080UL
#define X86_EFLAGS_OF_BIT	11
#define X86_EFLAGS_OF	0x00000800UL

struct pt_regs {
	unsigned long r15;
	unsigned long r14;
	unsigned long r13;
	unsigned long r12;
	unsigned long bp;
	unsigned long bx;
	unsigned long r11;
	unsigned long r10;
	unsigned long r9;
	unsigned long r8;
	unsigned long ax;
	unsigned long cx;
	unsigned long dx;
	unsigned long si;
	unsigned long di;
	unsigned long orig_ax;
	unsigned long ip;
	unsigned long cs;
	unsigned long flags;
	unsigned long sp;
	unsigned long ss;
};

/* The entry code writes these offsets; let the compiler prove they agree. */
_Static_assert(sizeof(struct pt_regs) == 168, "struct pt_regs size");
_Static_assert(offsetof(struct pt_regs, r15) == 0, "pt_regs r15");
_Static_assert(offsetof(struct pt_regs, r14) == 8, "pt_regs r14");
_Static_assert(offsetof(struct pt_regs, r13) == 16, "pt_regs r13");
_Static_assert(offsetof(struct pt_regs, r12) == 24, "pt_regs r12");
_Static_assert(offsetof(struct pt_regs, bp) == 32, "pt_regs bp");
_Static_assert(offsetof(struct pt_regs, bx) == 40, "pt_regs bx");
_Static_assert(offsetof(struct pt_regs, r11) == 48, "pt_regs r11");
_Static_assert(offsetof(struct pt_regs, r10) == 56, "pt_regs r10");
_Static_assert(offsetof(struct pt_regs, r9) == 64, "pt_regs r9");
_Static_assert(offsetof(struct pt_regs, r8) == 72, "pt_regs r8");
_Static_assert(offsetof(struct pt_regs, ax) == 80, "pt_regs ax");
_Static_assert(offsetof(struct pt_regs, cx) == 88, "pt_regs cx");
_Static_assert(offsetof(struct pt_regs, dx) == 96, "pt_regs dx");
_Static_assert(offsetof(struct pt_regs, si) == 104, "pt_regs si");
_Static_assert(offsetof(struct pt_regs, di) == 112, "pt_regs di");
_Static_assert(offsetof(struct pt_regs, orig_ax) == 120, "pt_regs orig_ax");
_Static_assert(offsetof(struct pt_regs, ip) == 128, "pt_regs ip");
_Static_assert(offsetof(struct pt_regs, cs) == 136, "pt_regs cs");
_Static_assert(offsetof(struct pt_regs, flags) == 144, "pt_regs flags");
_Static_assert(offsetof(struct pt_regs, sp) == 152, "pt_regs sp");
_Static_assert(offsetof(struct pt_regs, ss) == 160, "pt_regs ss");

#endif /* TOOLKIT_PRELUDE_H */
