/* The header the test models: its own macros lean on ones from the headers it includes. */
#ifndef _FIXTURE_TEXT_PATCHING_H
#define _FIXTURE_TEXT_PATCHING_H

#include <linux/types.h>
#include <asm/ptrace.h>
#include "../../../../../outside.h"
#include <linux/cycle.h>

#define INT3_INSN_SIZE		1
#define JCC_ZF_MASK		(1 << X86_EFLAGS_ZF_BIT)
#define PUSH_BYTES		WORD_BYTES

static inline int zero_flag(unsigned long flags)
{
	return (flags >> X86_EFLAGS_ZF_BIT) & 1;
}

#endif
