/* A helper defined twice under the same conditions, as a bad merge can leave it: both
 * definitions must be in the model, each with its own lines. */
#define INT3_INSN_SIZE 1

#ifndef CONFIG_UML_X86
static __always_inline
void int3_emulate_jmp(struct pt_regs *regs, unsigned long ip)
{
	regs->ip = ip;
}

static __always_inline
void int3_emulate_jmp(struct pt_regs *regs, unsigned long ip)
{
	regs->ip = ip;
}
#endif
