/* Constructs pycparser cannot read (a per-cpu declaration macro, a GNU case range)
 * become unparsed regions with their lines; the helpers around them are still modelled. */
#define CALL_INSN_SIZE 5

DECLARE_PER_CPU(unsigned long, poke_count);

static __always_inline
void int3_emulate_jmp(struct pt_regs *regs, unsigned long ip)
{
	regs->ip = ip;
}

static __always_inline bool is_jcc8(u8 opcode)
{
	switch (opcode) {
	case 0x70 ... 0x7f:
		return true;
	}
	return false;
}

static __always_inline
void int3_emulate_push(struct pt_regs *regs, unsigned long val)
{
	/* the room for this word is the gap the #BP entry leaves below the stack */
	regs->sp -= sizeof(unsigned long);
	*(unsigned long *)regs->sp = val;
}
