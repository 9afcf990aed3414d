/* ftrace.c: line 1 of the base tree */
/* ftrace.c: line 2 of the base tree */
/* ftrace.c: line 3 of the base tree */
/* ftrace.c: line 4 of the base tree */
/* ftrace.c: line 5 of the base tree */
/* ftrace.c: line 6 of the base tree */
/* ftrace.c: line 7 of the base tree */
/* ftrace.c: line 8 of the base tree */
#include <asm/text-patching.h>

static unsigned long ftrace_update_func;

static int update_ftrace_func(unsigned long ip, void *new)
{
	unsigned char old[MCOUNT_INSN_SIZE];
	int ret;

	memcpy(old, (void *)ip, MCOUNT_INSN_SIZE);

	ftrace_update_func = ip;
	/* Make sure the breakpoint handler sees the new value. */
	smp_wmb();

/* ftrace.c: line 24 of the base tree */
/* ftrace.c: line 25 of the base tree */
/* ftrace.c: line 26 of the base tree */
/* ftrace.c: line 27 of the base tree */
/* ftrace.c: line 28 of the base tree */
/* ftrace.c: line 29 of the base tree */
/* ftrace.c: line 30 of the base tree */
/* ftrace.c: line 31 of the base tree */
/* ftrace.c: line 32 of the base tree */
/* ftrace.c: line 33 of the base tree */
/* ftrace.c: line 34 of the base tree */
/* ftrace.c: line 35 of the base tree */

/*
 * A CPU hit the breakpoint placed on an mcount call site while the
 * site is being rewritten.  Let it continue as if nothing were there.
 */
int ftrace_int3_handler(struct pt_regs *regs)
{
/* ftrace.c: line 43 of the base tree */
/* ftrace.c: line 44 of the base tree */
/* ftrace.c: line 45 of the base tree */
/* ftrace.c: line 46 of the base tree */
/* ftrace.c: line 47 of the base tree */
/* ftrace.c: line 48 of the base tree */
	if (!ftrace_location(ip) && !is_ftrace_caller(ip))
		return 0;

	regs->ip += MCOUNT_INSN_SIZE - 1;

	return 1;
}
