/* Era v5.3: 32-bit kernels gained a gap too (FIXUP_FRAME), so push and call are no
 * longer limited to CONFIG_X86_64; still plain `static inline`. */
#ifndef _FIXTURE_TEXT_PATCHING_H
#define _FIXTURE_TEXT_PATCHING_H

#include <asm/ptrace.h>

#define INT3_INSN_SIZE		1
#define CALL_INSN_SIZE		5

#ifndef CONFIG_UML_X86
static inline void int3_emulate_jmp(struct pt_regs *regs, unsigned long ip)
{
	regs->ip = ip;
}

static inline void int3_emulate_push(struct pt_regs *regs, unsigned long val)
{
	/*
	 * Both entry paths leave free words below the interrupted stack before
	 * they save pt_regs: entry_64.S for #BP from the kernel, entry_32.S for
	 * every kernel-mode exception. That is where this word goes.
	 */
	regs->sp -= sizeof(unsigned long);
	*(unsigned long *)regs->sp = val;
}

static inline void int3_emulate_call(struct pt_regs *regs, unsigned long func)
{
	int3_emulate_push(regs, regs->ip - INT3_INSN_SIZE + CALL_INSN_SIZE);
	int3_emulate_jmp(regs, func);
}
#endif
#endif
