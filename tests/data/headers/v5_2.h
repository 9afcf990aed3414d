/* Era v5.2: the first int3 emulation helpers. jmp, push and call only, all plain
 * `static inline`, all hidden from UML, and push exists for 64-bit kernels only. */
#ifndef _FIXTURE_TEXT_PATCHING_H
#define _FIXTURE_TEXT_PATCHING_H

#include <linux/types.h>
#include <asm/ptrace.h>

#define POKE_MAX_OPCODE_SIZE	5

extern void text_poke_bp(void *addr, const void *opcode, size_t len, void *handler);
extern int poke_int3_handler(struct pt_regs *regs);

#define INT3_INSN_SIZE 1
#define CALL_INSN_SIZE 5

#ifndef CONFIG_UML_X86
static inline void int3_emulate_jmp(struct pt_regs *regs, unsigned long ip)
{
	regs->ip = ip;
}

#define INT3_INSN_OPCODE 0xCC

#ifdef CONFIG_X86_64
/*
 * Room for this store exists only because the #BP entry code moved the
 * exception frame down (the gap); without it we would overwrite the frame.
 */
static inline void int3_emulate_push(struct pt_regs *regs, unsigned long val)
{
	regs->sp -= sizeof(unsigned long);
	*(unsigned long *)regs->sp = val;
}

static inline void int3_emulate_call(struct pt_regs *regs, unsigned long func)
{
	/* the return address is the byte after the 5-byte call being replaced */
	int3_emulate_push(regs, regs->ip - INT3_INSN_SIZE + CALL_INSN_SIZE);
	int3_emulate_jmp(regs, func);
}
#endif /* CONFIG_X86_64 */
#endif /* !CONFIG_UML_X86 */

#endif /* _FIXTURE_TEXT_PATCHING_H */
