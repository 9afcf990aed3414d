/* A ptrace.h that declares no struct pt_regs at all: reading the layout must fail clearly. */
struct user_regs_struct;
