/*
 * Generated from templates/harness_fred_64.S.j2 by toolkit gen — do not edit.
 * Parameters: arch=x86_64 delivery=fred
 */
/*
 * toolkit_int3_entry: the ring-0 FRED event entry, reached by int3 (#BP).
 *
 * FRED delivers the event without an IDT stub: from kernel mode the CPU has
 * already moved the stack pointer 64 bytes down (the red zone), aligned it
 * and pushed its frame, whose lowest word, the error code, is orig_ax. There
 * is no software gap: the red zone is the room an emulated push needs.
 *
 * The stub saves every register into the struct pt_regs the frame completes,
 * calls
 *
 *	void toolkit_int3_handler(struct pt_regs *regs);
 *
 * (SysV ABI, regs in %rdi), then reloads every register from pt_regs and
 * returns with erets to regs->ip on regs->sp, so whatever the handler changes
 * in *regs takes effect.
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

	.text
	.globl	toolkit_int3_entry
	.type	toolkit_int3_entry, @function
toolkit_int3_entry:
	cld
	subq	$PT_ORIG_AX, %rsp		/* room for the registers below orig_ax */
	movq	%r15, PT_R15(%rsp)
	movq	%r14, PT_R14(%rsp)
	movq	%r13, PT_R13(%rsp)
	movq	%r12, PT_R12(%rsp)
	movq	%rbp, PT_BP(%rsp)
	movq	%rbx, PT_BX(%rsp)
	movq	%r11, PT_R11(%rsp)
	movq	%r10, PT_R10(%rsp)
	movq	%r9, PT_R9(%rsp)
	movq	%r8, PT_R8(%rsp)
	movq	%rax, PT_AX(%rsp)
	movq	%rcx, PT_CX(%rsp)
	movq	%rdx, PT_DX(%rsp)
	movq	%rsi, PT_SI(%rsp)
	movq	%rdi, PT_DI(%rsp)
	movq	%rsp, %rdi
	movq	%rsp, %rbx			/* callee-saved: holds pt_regs across the call */
	andq	$-16, %rsp			/* the C ABI's stack alignment at a call */
	call	toolkit_int3_handler
	movq	%rbx, %rsp
	movq	PT_R15(%rsp), %r15
	movq	PT_R14(%rsp), %r14
	movq	PT_R13(%rsp), %r13
	movq	PT_R12(%rsp), %r12
	movq	PT_BP(%rsp), %rbp
	movq	PT_BX(%rsp), %rbx
	movq	PT_R11(%rsp), %r11
	movq	PT_R10(%rsp), %r10
	movq	PT_R9(%rsp), %r9
	movq	PT_R8(%rsp), %r8
	movq	PT_AX(%rsp), %rax
	movq	PT_CX(%rsp), %rcx
	movq	PT_DX(%rsp), %rdx
	movq	PT_SI(%rsp), %rsi
	movq	PT_DI(%rsp), %rdi
	addq	$PT_ORIG_AX, %rsp		/* %rsp at the error code, which erets skips */
	.byte	0xf2, 0x0f, 0x01, 0xca	/* erets, unknown to GNU as before 2.41 */
	.size	toolkit_int3_entry, .-toolkit_int3_entry
