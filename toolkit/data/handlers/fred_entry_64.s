# The ring-0 FRED event entry of the validation harness: the CPU has already skipped the red zone,
# aligned the stack and pushed the FRED frame, whose error-code word is pt_regs->orig_ax. Complete
# pt_regs below it, call toolkit_int3_handler(regs), reload every register from pt_regs and return
# with erets to regs->ip on regs->sp. There is no software gap: the red zone is the room.
	.text
	.globl	toolkit_int3_entry
	.type	toolkit_int3_entry, @function
toolkit_int3_entry:
	cld
	pushq	%rdi		# pt_regs fields from di (offset 112) down to r15 (offset 0)
	pushq	%rsi
	pushq	%rdx
	pushq	%rcx
	pushq	%rax
	pushq	%r8
	pushq	%r9
	pushq	%r10
	pushq	%r11
	pushq	%rbx
	pushq	%rbp
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	movq	%rsp, %rdi
	movq	%rsp, %rbx	# callee-saved: holds pt_regs across the call
	andq	$-16, %rsp
	call	toolkit_int3_handler
	movq	%rbx, %rsp
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%rbp
	popq	%rbx
	popq	%r11
	popq	%r10
	popq	%r9
	popq	%r8
	popq	%rax
	popq	%rcx
	popq	%rdx
	popq	%rsi
	popq	%rdi
	addq	$8, %rsp	# the error code: erets starts at regs->ip
	.byte	0xf2, 0x0f, 0x01, 0xca	# erets (older binutils do not know the mnemonic)
	.size	toolkit_int3_entry, .-toolkit_int3_entry
