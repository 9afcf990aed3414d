/* Reached from text-patching.h; includes a neighbour by a quoted name. */
#ifndef _FIXTURE_ASM_PTRACE_H
#define _FIXTURE_ASM_PTRACE_H

#include <asm/processor-flags.h>
#include "ptrace-abi.h"

/*
#define COMMENTED_OUT 1
 */
#ifdef CONFIG_X86_64
#define WORD_BYTES 8
#else
#define WORD_BYTES 4
#endif

#endif
