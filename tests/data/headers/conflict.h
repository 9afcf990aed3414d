/* Unresolved merge-conflict markers around two versions of the push helper: the markers
 * are recorded, and both sides are still read as C. */
#define INT3_INSN_SIZE 1

static __always_inline
void int3_emulate_jmp(struct pt_regs *regs, unsigned long ip)
{
	regs->ip = ip;
}

<<<<<<< HEAD
static __always_inline
void int3_emulate_push(struct pt_regs *regs, unsigned long val)
{
	regs->sp -= sizeof(unsigned long);
	*(unsigned long *)regs->sp = val;
}
=======
/* the entry code left room below the interrupted stack for this word */
static __always_inline
void int3_emulate_push(struct pt_regs *regs, unsigned long val)
{
	regs->sp -= 8;
	*(unsigned long *)regs->sp = val;
}
>>>>>>> topic/int3-push
