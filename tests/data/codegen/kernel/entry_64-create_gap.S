/* Kernel-shaped entry_64.S written for the tests: the v5.2-v5.7 idtentry with create_gap. */
.macro idtentry sym do_sym has_error_code:req paranoid=0 shift_ist=-1 create_gap=0
ENTRY(\sym)
	.if \has_error_code == 0
		pushq	$-1
	.endif

	.if \create_gap == 1
		testb	$3, CS-ORIG_RAX(%rsp)
		jnz	.Lold_label_\@
		.rept	6
		pushq	5*8(%rsp)
		.endr
.Lold_label_\@:
	.endif

	call	\do_sym
END(\sym)
.endm

idtentry int3 do_int3 has_error_code=0 create_gap=1
