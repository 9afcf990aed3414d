/*
 * Generated from templates/entry_64.S.j2 by toolkit gen — do not edit.
 * Parameters: arch=x86_64 gap_words=0 style=trap_bp helpers=jmp mechanisms=bp_gap
 */
/* Byte offsets into struct pt_regs (x86_64, 168 bytes). */
	.set	PT_R15, 0
	.set	PT_R14, 8
	.set	PT_R13, 16
	.set	PT_R12, 24
	.set	PT_BP, 32
	.set	PT_BX, 40
	.set	PT_R11, 48
	.set	PT_R10, 56
	.set	PT_R9, 64
	.set	PT_R8, 72
	.set	PT_AX, 80
	.set	PT_CX, 88
	.set	PT_DX, 96
	.set	PT_SI, 104
	.set	PT_DI, 112
	.set	PT_ORIG_AX, 120
	.set	PT_IP, 128
	.set	PT_CS, 136
	.set	PT_FLAGS, 144
	.set	PT_SP, 152
	.set	PT_SS, 160
	.set	ORIG_RAX, PT_ORIG_AX
	.set	CS, PT_CS
	.set	X86_TRAP_BP, 3

/*
 * Expand right after orig_ax was pushed, while %rsp points at it.
 * `toolkit_idtentry_gap X86_TRAP_BP` makes the gap; any other vector does not.
 */
.macro toolkit_idtentry_gap vector
.endm
