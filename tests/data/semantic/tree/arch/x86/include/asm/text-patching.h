#ifndef _ASM_X86_TEXT_PATCHING_H
#define _ASM_X86_TEXT_PATCHING_H
/* text-patching.h: line 3 of the base tree */
/* text-patching.h: line 4 of the base tree */
/* text-patching.h: line 5 of the base tree */
/* text-patching.h: line 6 of the base tree */
/* text-patching.h: line 7 of the base tree */
/* text-patching.h: line 8 of the base tree */
/* text-patching.h: line 9 of the base tree */
/* text-patching.h: line 10 of the base tree */
/* text-patching.h: line 11 of the base tree */
/* text-patching.h: line 12 of the base tree */
/* text-patching.h: line 13 of the base tree */
/* text-patching.h: line 14 of the base tree */
/* text-patching.h: line 15 of the base tree */
/* text-patching.h: line 16 of the base tree */
/* text-patching.h: line 17 of the base tree */
/* text-patching.h: line 18 of the base tree */
/* text-patching.h: line 19 of the base tree */
/* text-patching.h: line 20 of the base tree */
/* text-patching.h: line 21 of the base tree */
/* text-patching.h: line 22 of the base tree */
/* text-patching.h: line 23 of the base tree */
/* text-patching.h: line 24 of the base tree */
/* text-patching.h: line 25 of the base tree */
/* text-patching.h: line 26 of the base tree */
/* text-patching.h: line 27 of the base tree */
/* text-patching.h: line 28 of the base tree */
/* text-patching.h: line 29 of the base tree */
extern void *text_poke_bp(void *addr, const void *opcode, size_t len, void *handler);
extern int after_bootmem;

#endif /* _ASM_X86_TEXT_PATCHING_H */
