/*
 * Generated from templates/text-patching.h.j2 by toolkit gen — do not edit.
 * Parameters: arch=x86_32 gap_words=6 style=fixup_frame helpers=jmp,push,pop,call,ret,jcc mechanisms=fixup_frame
 */
#ifndef TOOLKIT_TEXT_PATCHING_H
#define TOOLKIT_TEXT_PATCHING_H

/* The instructions a patch site holds while it is rewritten. */
#define INT3_INSN_SIZE	1
#define INT3_INSN_OPCODE	0xCC
#define RET_INSN_SIZE	1
#define RET_INSN_OPCODE	0xC3
#define CALL_INSN_SIZE	5
#define CALL_INSN_OPCODE	0xE8
#define JMP32_INSN_SIZE	5
#define JMP32_INSN_OPCODE	0xE9
#define JMP8_INSN_SIZE	2
#define JMP8_INSN_OPCODE	0xEB

#ifndef CONFIG_UML_X86
static __always_inline
void int3_emulate_jmp(struct pt_regs *regs, unsigned long ip)
{
	regs->ip = ip;
}

/*
 * Store a word just below the interrupted stack pointer, as a push there would.
 *
 * The trap frame and pt_regs of this very int3 would normally sit right below
 * regs->sp, so the store would overwrite them. It does not, because the room
 * below regs->sp has been left free on purpose:
 *
 * x86_32: for every trap from kernel mode, FIXUP_FRAME (entry_32.S) builds
 * the complete frame, with the real sp and ss, 24 bytes below the one the
 * CPU pushed; the exit rebuilds the CPU's frame below the possibly lowered
 * regs->sp.
 */
static __always_inline
void int3_emulate_push(struct pt_regs *regs, unsigned long val)
{
	regs->sp -= sizeof(unsigned long);
	*(unsigned long *)regs->sp = val;
}

static __always_inline
unsigned long int3_emulate_pop(struct pt_regs *regs)
{
	unsigned long val = *(unsigned long *)regs->sp;

	regs->sp += sizeof(unsigned long);
	return val;
}

/* The return address is the end of the CALL whose first byte is now int3. */
static __always_inline
void int3_emulate_call(struct pt_regs *regs, unsigned long func)
{
	int3_emulate_push(regs, regs->ip - INT3_INSN_SIZE + CALL_INSN_SIZE);
	int3_emulate_jmp(regs, func);
}

static __always_inline
void int3_emulate_ret(struct pt_regs *regs)
{
	int3_emulate_jmp(regs, int3_emulate_pop(regs));
}

/*
 * cc is the low nibble of the Jcc opcode: its upper three bits choose the
 * test, its lowest bit negates it. ip is the address after the Jcc, disp
 * its displacement, added when the branch is taken.
 */
static __always_inline
void int3_emulate_jcc(struct pt_regs *regs, u8 cc, unsigned long ip, unsigned long disp)
{
	unsigned long flags = regs->flags;
	bool less = !(flags & X86_EFLAGS_SF) != !(flags & X86_EFLAGS_OF);
	bool taken;

	switch (cc >> 1) {
	case 0:	/* jo / jno */
		taken = flags & X86_EFLAGS_OF;
		break;
	case 1:	/* jb / jae */
		taken = flags & X86_EFLAGS_CF;
		break;
	case 2:	/* je / jne */
		taken = flags & X86_EFLAGS_ZF;
		break;
	case 3:	/* jbe / ja */
		taken = flags & (X86_EFLAGS_CF | X86_EFLAGS_ZF);
		break;
	case 4:	/* js / jns */
		taken = flags & X86_EFLAGS_SF;
		break;
	case 5:	/* jp / jnp */
		taken = flags & X86_EFLAGS_PF;
		break;
	case 6:	/* jl / jge */
		taken = less;
		break;
	case 7:	/* jle / jg */
		taken = less || (flags & X86_EFLAGS_ZF);
		break;
	default:
		BUG();
	}

	if (cc & 1)
		taken = !taken;
	if (taken)
		ip += disp;
	int3_emulate_jmp(regs, ip);
}

#endif /* !CONFIG_UML_X86 */

#endif /* TOOLKIT_TEXT_PATCHING_H */
