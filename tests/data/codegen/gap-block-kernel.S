	.if \vector == X86_TRAP_BP
		/*
		 * A trap from kernel mode put its frame right below the
		 * interrupted stack pointer. Copy the frame 48 bytes lower,
		 * so that an emulated push or call can store below regs->sp
		 * without overwriting it. From user mode regs->sp is on
		 * another stack and no gap is needed.
		 */
		testb	$3, CS-ORIG_RAX(%rsp)
		jnz	.Lno_gap_from_user_\@
		.rept	6
		pushq	5*8(%rsp)
		.endr
		UNWIND_HINT_IRET_REGS offset=8
.Lno_gap_from_user_\@:
	.endif
