/* A definition whose parameter list was cut off (the name ends the line, the body follows): it is
 * no function, and the text up to the end of the next declaration becomes one unparsed region. */
static __always_inline void text_poke_barrier
{
	barrier();
}

static __always_inline
void int3_emulate_jmp(struct pt_regs *regs, unsigned long ip)
{
	regs->ip = ip;
}

static __always_inline
void int3_emulate_ret(struct pt_regs *regs)
{
	regs->sp += sizeof(unsigned long);
}
