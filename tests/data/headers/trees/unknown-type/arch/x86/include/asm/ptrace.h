/* A pt_regs with a member whose type has no known size: the error must name this file and line. */
typedef struct frob frob_t;
#ifndef __i386__
struct pt_regs {
	unsigned long r15;
	frob_t ax;
	unsigned long ip;
};
#endif
