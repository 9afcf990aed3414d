/*
 * The int3 handler of the validation scenarios. The emulator writes what to
 * emulate into toolkit_scenario before each run; the handler then calls the
 * helper under test exactly as a kernel int3 handler would, with the site
 * taken from regs->ip (the CPU saved the address after the int3 byte).
 *
 * toolkit_scenario_helpers.h says which helpers the code under test has
 * (an older kernel has no int3_emulate_jcc, for example).
 */
#include "toolkit_prelude.h"
#include "text-patching.h"
#include "toolkit_scenario_helpers.h"

enum toolkit_helper {
	TOOLKIT_JMP = 1,
	TOOLKIT_PUSH = 2,
	TOOLKIT_POP = 3,
	TOOLKIT_CALL = 4,
	TOOLKIT_RET = 5,
	TOOLKIT_JCC = 6,
};

/* One word per field, in this order: the emulator packs it by the same list. */
struct toolkit_scenario {
	unsigned long helper;
	unsigned long target;	/* destination of jmp and call */
	unsigned long value;	/* the word push stores */
	unsigned long length;	/* bytes of the instruction at the site */
	unsigned long cc;	/* low nibble of the Jcc opcode */
	unsigned long disp;	/* Jcc displacement, sign-extended */
	unsigned long count;	/* how many pushes (more than one only in controls) */
};

struct toolkit_scenario toolkit_scenario;

/* Returned to by the round trip: a real callee the emulated call enters. */
unsigned long toolkit_callee_ran;

void toolkit_callee(void);
void toolkit_int3_handler(struct pt_regs *regs);

void toolkit_callee(void)
{
	toolkit_callee_ran++;
}

void toolkit_int3_handler(struct pt_regs *regs)
{
	/* int3 is one byte; the code under test need not define INT3_INSN_SIZE */
	unsigned long site = regs->ip - 1;
	unsigned long next = site + toolkit_scenario.length;
	unsigned long i;

	switch (toolkit_scenario.helper) {
#ifdef TOOLKIT_HAVE_JMP
	case TOOLKIT_JMP:
		int3_emulate_jmp(regs, toolkit_scenario.target);
		break;
#endif
#if defined(TOOLKIT_HAVE_PUSH) && defined(TOOLKIT_HAVE_JMP)
	case TOOLKIT_PUSH:
		for (i = 0; i < toolkit_scenario.count; i++)
			int3_emulate_push(regs, toolkit_scenario.value);
		int3_emulate_jmp(regs, next);
		break;
#endif
#if defined(TOOLKIT_HAVE_POP) && defined(TOOLKIT_HAVE_JMP)
	case TOOLKIT_POP:
		regs->ax = int3_emulate_pop(regs);
		int3_emulate_jmp(regs, next);
		break;
#endif
#ifdef TOOLKIT_HAVE_CALL
	case TOOLKIT_CALL:
		int3_emulate_call(regs, toolkit_scenario.target);
		break;
#endif
#ifdef TOOLKIT_HAVE_RET
	case TOOLKIT_RET:
		int3_emulate_ret(regs);
		break;
#endif
#ifdef TOOLKIT_HAVE_JCC
	case TOOLKIT_JCC:
		int3_emulate_jcc(regs, toolkit_scenario.cc, next, toolkit_scenario.disp);
		break;
#endif
	default:
		/* A helper the code under test lacks: leave regs alone, the run will not match. */
		break;
	}
}
