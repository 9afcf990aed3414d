/* The kernel-side flags header: the numbers themselves are in its uapi twin. */
#ifndef _FIXTURE_ASM_PROCESSOR_FLAGS_H
#define _FIXTURE_ASM_PROCESSOR_FLAGS_H

#include <uapi/asm/processor-flags.h>

#define X86_VM_MASK	X86_EFLAGS_VM_BIT

#endif
