/* Includes linux/types.h back: a cycle, which following must read only once. */
#include <linux/types.h>

#define BITS_PER_WORD	(BITS_PER_BYTE * WORD_BYTES)
