/* Era v5.10: pop and ret join the helpers; instruction sizes and opcodes for RET, JMP8 and
 * JMP32 are macros, and a token-pasting macro maps an opcode to its size inside a switch. */
#ifndef _FIXTURE_TEXT_PATCHING_H
#define _FIXTURE_TEXT_PATCHING_H

#include <linux/types.h>
#include <linux/stddef.h>
#include <asm/ptrace.h>

#define POKE_MAX_OPCODE_SIZE	5

#define INT3_INSN_SIZE		1
#define INT3_INSN_OPCODE	0xCC

#define RET_INSN_SIZE		1
#define RET_INSN_OPCODE		0xC3

#define CALL_INSN_SIZE		5
#define CALL_INSN_OPCODE	0xE8

#define JMP32_INSN_SIZE		5
#define JMP32_INSN_OPCODE	0xE9

#define JMP8_INSN_SIZE		2
#define JMP8_INSN_OPCODE	0xEB

#define DISP32_SIZE		4

/* bytes taken by the instruction an opcode byte begins; 0 for one this header does not write */
static __always_inline int fixture_insn_bytes(u8 first)
{
	/* token pasting: LEN_OF(CALL) reads CALL_INSN_OPCODE and CALL_INSN_SIZE */
#define LEN_OF(kind)	\
	if (first == kind##_INSN_OPCODE) return kind##_INSN_SIZE

	LEN_OF(CALL);
	LEN_OF(JMP32);
	LEN_OF(JMP8);
	LEN_OF(RET);
	LEN_OF(INT3);
#undef LEN_OF
	return 0;
}

/* an instruction as bytes, or as its opcode and a 32-bit displacement, without padding */
union fixture_insn_image {
	u8 bytes[POKE_MAX_OPCODE_SIZE];
	struct {
		u8 op;
		s32 rel;
	} __attribute__((packed));
};

/* the bytes of `first` at `at` going to `to`; the caller copies them before the next call */
static __always_inline
void *fixture_encode(u8 first, const void *at, const void *to)
{
	static union fixture_insn_image image;
	int bytes = fixture_insn_bytes(first);

	image.op = first;
	if (bytes > 1) {
		image.rel = (long)to - (long)(at + bytes);
		/* a two-byte jump only reaches what a signed byte can say */
		if (bytes == 2)
			BUG_ON(image.rel < -128 || image.rel > 127);
	}
	OPTIMIZER_HIDE_VAR(image);
	return &image.bytes;
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
	 * Grows the interrupted stack into the gap the entry code keeps between
	 * it and pt_regs (see create_gap in entry_64.S, FIXUP_FRAME in entry_32.S).
	 */
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

static __always_inline
void int3_emulate_call(struct pt_regs *regs, unsigned long func)
{
	int3_emulate_push(regs, regs->ip - INT3_INSN_SIZE + CALL_INSN_SIZE);
	int3_emulate_jmp(regs, func);
}

static __always_inline
void int3_emulate_ret(struct pt_regs *regs)
{
	unsigned long ip = int3_emulate_pop(regs);

	int3_emulate_jmp(regs, ip);
}
#endif /* !CONFIG_UML_X86 */

#endif /* _FIXTURE_TEXT_PATCHING_H */
