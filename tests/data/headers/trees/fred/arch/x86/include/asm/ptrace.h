/* A FRED-era ptrace.h: on 32-bit each selector is a u16 plus a named u16 of padding; on
 * 64-bit cs and ss are anonymous unions of a u16, a u64 and a bit-field struct. */
#ifndef _FIXTURE_PTRACE_H
#define _FIXTURE_PTRACE_H

#ifndef __ASSEMBLY__
#ifdef __i386__
struct pt_regs {
	unsigned long bx, cx, dx, si, di, bp, ax;
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
#else
struct fred_cs {
	u64 cs : 16, sl : 2, wfe : 1, : 45;
};

struct fred_ss {
	u64 ss : 16, sti : 1, swevent : 1, nmi : 1, : 13, vector : 8, : 8, type : 4, : 4,
	    enclave : 1, lm : 1, nested : 1, : 1, insnlen : 4;
};

struct pt_regs {
	unsigned long r15, r14, r13, r12, bp, bx;
	unsigned long r11, r10, r9, r8, ax, cx, dx, si, di;
	unsigned long orig_ax;
	unsigned long ip;
	union {
		u16 cs;
		u64 csx;
		struct fred_cs fred_cs;
	};
	unsigned long flags;
	unsigned long sp;
	union {
		u16 ss;
		u64 ssx;
		struct fred_ss fred_ss;
	};
};
#endif
#endif
#endif
