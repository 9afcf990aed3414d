/* A 2025-like header: the patching entry points carry smp_text_poke_* names, the push
 * comment no longer mentions create_gap, and an asm statement sits in a helper body. */
#ifndef _FIXTURE_TEXT_PATCHING_H
#define _FIXTURE_TEXT_PATCHING_H

#define INT3_INSN_SIZE		1
#define CALL_INSN_SIZE		5
#define TEXT_POKE_MAX_OPCODE_SIZE	(CALL_INSN_SIZE + INT3_INSN_SIZE - 1)

extern void smp_text_poke_single(void *addr, const void *opcode, size_t len, const void *emulate);
extern int smp_text_poke_int3_handler(struct pt_regs *regs);
extern void smp_text_poke_batch_finish(void);

static __always_inline void text_poke_barrier(void)
{
	asm volatile("" : : : "memory");
}

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
	 * On x86_64 the #BP entry for kernel mode copies its frame 48 bytes
	 * lower; on x86_32 FIXUP_FRAME does the same for every exception. The
	 * word written here lands in that freed space.
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
