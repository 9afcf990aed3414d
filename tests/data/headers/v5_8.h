/* Era v5.8: the helpers became `static __always_inline` (on a line of their own), and
 * the push comment names the idtentry `create_gap` option (which is gone in this era). */
#ifndef _FIXTURE_TEXT_PATCHING_H
#define _FIXTURE_TEXT_PATCHING_H

#define INT3_INSN_SIZE		1
#define CALL_INSN_SIZE		5

extern __ro_after_init struct mm_struct *fixture_text_mm;
extern __ro_after_init unsigned long fixture_text_addr;

#ifndef CONFIG_UML_X86
static __always_inline
void int3_emulate_jmp(struct pt_regs *regs, unsigned long ip)
{
	regs->ip = ip;
}

static __always_inline
void int3_emulate_push(struct pt_regs *regs, unsigned long val)
{
	/*
	 * The #BP entry leaves a hole between the interrupted stack and the
	 * saved registers, so the stack may grow into it here; the idtentry
	 * macro's create_gap option is what asks for that hole.
	 */
	regs->sp -= sizeof(unsigned long);
	*(unsigned long *)regs->sp = val;
}

static __always_inline
void int3_emulate_call(struct pt_regs *regs, unsigned long func)
{
	int3_emulate_push(regs, regs->ip - INT3_INSN_SIZE + CALL_INSN_SIZE);
	int3_emulate_jmp(regs, func);
}
#endif /* !CONFIG_UML_X86 */

#endif
