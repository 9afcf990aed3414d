/* Kernel-shaped entry_64.S written for the tests: the v5.8+ idtentry with its gap block. */
.macro idtentry vector asmsym cfunc has_error_code:req
SYM_CODE_START(\asmsym)
	.if \vector == X86_TRAP_BP
		UNWIND_HINT_IRET_REGS
	.endif

	.if \has_error_code == 0
		pushq	$-1
	.endif

	.if \vector == X86_TRAP_BP
		/* the block the generator replaces */
		testb	$3, CS-ORIG_RAX(%rsp)
		jnz	.Lold_label_\@
		.rept	6
		pushq	5*8(%rsp)
		.endr
.Lold_label_\@:
	.endif

	idtentry_body \cfunc \has_error_code
SYM_CODE_END(\asmsym)
.endm
