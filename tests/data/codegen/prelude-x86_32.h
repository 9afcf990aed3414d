/*
 * Generated from templates/toolkit_prelude.h.j2 by toolkit gen — do not edit.
 * Parameters: arch=x86_32
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
typedef unsigned int size_t;

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
	unsigned long bx;
	unsigned long cx;
	unsigned long dx;
	unsigned long si;
	unsigned long di;
	unsigned long bp;
	unsigned long ax;
	unsigned short ds;
	unsigned short __dsh;
	unsigned short es;
	unsigned short __esh;
	unsigned short fs;
	unsigned short __fsh;
	unsigned short gs;
	unsigned short __gsh;
	unsigned long orig_ax;
	unsigned long ip;
	unsigned short cs;
	unsigned short __csh;
	unsigned long flags;
	unsigned long sp;
	unsigned short ss;
	unsigned short __ssh;
};

/* The entry code writes these offsets; let the compiler prove they agree. */
_Static_assert(sizeof(struct pt_regs) == 68, "struct pt_regs size");
_Static_assert(offsetof(struct pt_regs, bx) == 0, "pt_regs bx");
_Static_assert(offsetof(struct pt_regs, cx) == 4, "pt_regs cx");
_Static_assert(offsetof(struct pt_regs, dx) == 8, "pt_regs dx");
_Static_assert(offsetof(struct pt_regs, si) == 12, "pt_regs si");
_Static_assert(offsetof(struct pt_regs, di) == 16, "pt_regs di");
_Static_assert(offsetof(struct pt_regs, bp) == 20, "pt_regs bp");
_Static_assert(offsetof(struct pt_regs, ax) == 24, "pt_regs ax");
_Static_assert(offsetof(struct pt_regs, ds) == 28, "pt_regs ds");
_Static_assert(offsetof(struct pt_regs, es) == 32, "pt_regs es");
_Static_assert(offsetof(struct pt_regs, fs) == 36, "pt_regs fs");
_Static_assert(offsetof(struct pt_regs, gs) == 40, "pt_regs gs");
_Static_assert(offsetof(struct pt_regs, orig_ax) == 44, "pt_regs orig_ax");
_Static_assert(offsetof(struct pt_regs, ip) == 48, "pt_regs ip");
_Static_assert(offsetof(struct pt_regs, cs) == 52, "pt_regs cs");
_Static_assert(offsetof(struct pt_regs, flags) == 56, "pt_regs flags");
_Static_assert(offsetof(struct pt_regs, sp) == 60, "pt_regs sp");
_Static_assert(offsetof(struct pt_regs, ss) == 64, "pt_regs ss");

#endif /* TOOLKIT_PRELUDE_H */
