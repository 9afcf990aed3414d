/* A pre-FRED ptrace.h: every 64-bit slot an unsigned long, the 32-bit one with the
 * segment padding declared as separate members. */
#ifndef __ASSEMBLY__
#ifdef __i386__
struct pt_regs {
	unsigned long bx;
	unsigned long cx;
	unsigned long dx;
	unsigned long si;
	unsigned long di;
	unsigned long bp;
	unsigned long ax;
	unsigned short ds, __dsh;
	unsigned short es, __esh;
	unsigned short fs, __fsh;
	unsigned short gs, __gsh;
	unsigned long orig_ax;
	unsigned long ip;
	unsigned short cs, __csh;
	unsigned long flags;
	unsigned long sp;
	unsigned short ss, __ssh;
};
#else /* __i386__ */
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
#endif
#endif
