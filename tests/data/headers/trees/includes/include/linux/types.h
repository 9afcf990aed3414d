/* Includes a generated header (absent from a source tree) and a header that includes this one. */
#ifndef _FIXTURE_LINUX_TYPES_H
#define _FIXTURE_LINUX_TYPES_H

#include <asm/types.h>
#include <linux/cycle.h>

#define BITS_PER_BYTE	8

#endif
