/* Calls each of the six helpers, so that -Wall -Werror sees them used, not only defined. */
#include "toolkit_prelude.h"
#include "text-patching.h"

void use_helpers(struct pt_regs *regs, unsigned long target, u8 cc);

void use_helpers(struct pt_regs *regs, unsigned long target, u8 cc)
{
	unsigned long word;

	int3_emulate_call(regs, target);
	int3_emulate_ret(regs);
	int3_emulate_push(regs, regs->bx);
	word = int3_emulate_pop(regs);
	int3_emulate_jmp(regs, word);
	int3_emulate_jcc(regs, cc, regs->ip, 0x10);
}
