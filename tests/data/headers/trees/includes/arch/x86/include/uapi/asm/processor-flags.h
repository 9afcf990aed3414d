/* The flag bit numbers, and the masks built from them through a function-like macro. */
#ifndef _FIXTURE_UAPI_ASM_PROCESSOR_FLAGS_H
#define _FIXTURE_UAPI_ASM_PROCESSOR_FLAGS_H

#include <linux/const.h>

#define X86_EFLAGS_CF_BIT	0
#define X86_EFLAGS_CF		_BITUL(X86_EFLAGS_CF_BIT)
#define X86_EFLAGS_ZF_BIT	6
#define X86_EFLAGS_ZF		_BITUL(X86_EFLAGS_ZF_BIT)
#define X86_EFLAGS_VM_BIT	17

#endif
