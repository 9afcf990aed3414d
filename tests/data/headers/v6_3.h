/* Era v6.3: conditional jumps are emulated too; int3_emulate_jcc picks the flags a
 * condition tests from a table written as a designated array initialiser. */
#ifndef _FIXTURE_TEXT_PATCHING_H
#define _FIXTURE_TEXT_PATCHING_H

#define INT3_INSN_SIZE		1
#define CALL_INSN_SIZE		5
#define JMP8_INSN_SIZE		2
#define JMP32_INSN_SIZE		5

#ifndef CONFIG_UML_X86
static __always_inline
void int3_emulate_jmp(struct pt_regs *regs, unsigned long ip)
{
	regs->ip = ip;
}

static __always_inline
void int3_emulate_jcc(struct pt_regs *regs, u8 cc, unsigned long ip, unsigned long disp)
{
	/* even condition codes 0..0xb test one flag (or CF|ZF) each; odd ones invert */
	static const unsigned long jcc_mask[6] = {
		[0] = X86_EFLAGS_OF,
		[1] = X86_EFLAGS_CF,
		[2] = X86_EFLAGS_ZF,
		[3] = X86_EFLAGS_CF | X86_EFLAGS_ZF,
		[4] = X86_EFLAGS_SF,
		[5] = X86_EFLAGS_PF,
	};
	bool invert = cc & 1;
	bool match;

	if (cc < 0xc) {
		match = regs->flags & jcc_mask[cc >> 1];
	} else {
		/* JL/JGE compare SF with OF; JLE/JG also take ZF */
		match = ((regs->flags & X86_EFLAGS_SF) >> X86_EFLAGS_SF_BIT) ^
			((regs->flags & X86_EFLAGS_OF) >> X86_EFLAGS_OF_BIT);
		if (cc >= 0xe)
			match = match || (regs->flags & X86_EFLAGS_ZF);
	}

	if (match != invert)
		ip += disp;

	int3_emulate_jmp(regs, ip);
}
#endif /* !CONFIG_UML_X86 */

#endif
