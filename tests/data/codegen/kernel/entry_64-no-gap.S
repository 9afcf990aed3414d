/* Kernel-shaped entry_64.S written for the tests: before v5.2, no gap block at all. */
.macro idtentry sym do_sym has_error_code:req
ENTRY(\sym)
	pushq	$-1
	call	\do_sym
END(\sym)
.endm
