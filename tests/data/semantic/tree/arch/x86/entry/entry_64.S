/* entry_64.S: line 1 of the base tree */
/* entry_64.S: line 2 of the base tree */
/* entry_64.S: line 3 of the base tree */
/* entry_64.S: line 4 of the base tree */
/* entry_64.S: line 5 of the base tree */
/* entry_64.S: line 6 of the base tree */
/* entry_64.S: line 7 of the base tree */
/* entry_64.S: line 8 of the base tree */
/* entry_64.S: line 9 of the base tree */
 * Build one exception entry point.  The stub saves the registers,
 * calls the C handler and returns through the common exit path.
 */
.macro idtentry sym do_sym has_error_code:req paranoid=0 shift_ist=-1
ENTRY(\sym)
	UNWIND_HINT_IRET_REGS offset=\has_error_code*8

/* entry_64.S: line 17 of the base tree */
/* entry_64.S: line 18 of the base tree */
/* entry_64.S: line 19 of the base tree */
	pushq	$-1			/* no error code: fill ORIG_RAX */
	.endif

	.if \paranoid == 1
	testb	$3, CS-ORIG_RAX(%rsp)	/* did the event come from user mode? */
	jnz	.Lfrom_usermode_switch_stack_\@
/* entry_64.S: line 26 of the base tree */
/* entry_64.S: line 27 of the base tree */
/* entry_64.S: line 28 of the base tree */
/* entry_64.S: line 29 of the base tree */
/* entry_64.S: line 30 of the base tree */
/* entry_64.S: line 31 of the base tree */
/* entry_64.S: line 32 of the base tree */
/* entry_64.S: line 33 of the base tree */
/* entry_64.S: line 34 of the base tree */
/* entry_64.S: line 35 of the base tree */
/* entry_64.S: line 36 of the base tree */
/* entry_64.S: line 37 of the base tree */
/* entry_64.S: line 38 of the base tree */
/* entry_64.S: line 39 of the base tree */
/* entry_64.S: line 40 of the base tree */
/* entry_64.S: line 41 of the base tree */
/* entry_64.S: line 42 of the base tree */
/* entry_64.S: line 43 of the base tree */
/* entry_64.S: line 44 of the base tree */
/* entry_64.S: line 45 of the base tree */
/* entry_64.S: line 46 of the base tree */
/* entry_64.S: line 47 of the base tree */
/* entry_64.S: line 48 of the base tree */
/* entry_64.S: line 49 of the base tree */
/* entry_64.S: line 50 of the base tree */
/* entry_64.S: line 51 of the base tree */
/* entry_64.S: line 52 of the base tree */
/* entry_64.S: line 53 of the base tree */
idtentry bounds			do_bounds		has_error_code=0
idtentry invalid_op		do_invalid_op		has_error_code=0
idtentry debug			do_debug		has_error_code=0	paranoid=1 shift_ist=DEBUG_STACK
idtentry int3			do_int3			has_error_code=0
idtentry stack_segment		do_stack_segment	has_error_code=1
