/* Found beside ptrace.h, which includes it by a quoted name. */
#define FRAME_WORDS \
	(5 + \
	 1)
