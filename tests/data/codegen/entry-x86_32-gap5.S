/*
 * Generated from templates/entry_32.S.j2 by toolkit gen — do not edit.
 * Parameters: arch=x86_32 gap_words=5 style=fixup_frame helpers=jmp,push,pop,call,ret,jcc mechanisms=fixup_frame
 */
/* Byte offsets into struct pt_regs (x86_32, 68 bytes). */
	.set	PT_BX, 0
	.set	PT_CX, 4
	.set	PT_DX, 8
	.set	PT_SI, 12
	.set	PT_DI, 16
	.set	PT_BP, 20
	.set	PT_AX, 24
	.set	PT_DS, 28
	.set	PT_ES, 32
	.set	PT_FS, 36
	.set	PT_GS, 40
	.set	PT_ORIG_AX, 44
	.set	PT_IP, 48
	.set	PT_CS, 52
	.set	PT_FLAGS, 56
	.set	PT_SP, 60
	.set	PT_SS, 64

/*
 * Expand right after orig_ax was pushed, while %esp points at it.
 *
 * A trap from kernel mode pushes only ip, cs and flags, so pt_regs would lack
 * sp and ss, and its top would sit right below the interrupted stack pointer.
 * Build the complete frame instead, with the real stack pointer in it, and with
 * its top 20 bytes below the interrupted stack pointer: those bytes are free
 * for an emulated push and for the frame the exit rebuilds.
 */
.macro toolkit_fixup_frame
	/* Not every CPU writes the upper half of the pushed CS doubleword. */
	andl	$0x0000ffff, PT_CS-PT_ORIG_AX(%esp)
	testl	$3, PT_CS-PT_ORIG_AX(%esp)
	jnz	.Lno_fixup_from_user_\@
	subl	$4, %esp
	pushl	%ss
	pushl	%esp
	/* %esp as pushed pointed at the %ss word; the interrupted one is above the copy */
	addl	$24, (%esp)
	.rept	4
	pushl	6*4(%esp)
	.endr
.Lno_fixup_from_user_\@:
.endm

/*
 * Return through pt_regs at %esp, every register but %eax and %ecx restored.
 *
 * Returning to kernel mode, iret pops only ip, cs and flags, and cannot load
 * a stack pointer: write those words (and %eax, the last scratch register)
 * right below the possibly changed regs->sp, switch to them, and iret from there.
 */
.macro toolkit_iret_frame
	testl	$3, PT_CS(%esp)
	jnz	.Lplain_iret_\@
	movl	PT_SP(%esp), %eax
	movl	PT_FLAGS(%esp), %ecx
	movl	%ecx, -4(%eax)
	movl	PT_CS(%esp), %ecx
	movl	%ecx, -8(%eax)
	movl	PT_IP(%esp), %ecx
	movl	%ecx, -12(%eax)
	movl	PT_AX(%esp), %ecx
	movl	%ecx, -16(%eax)
	movl	PT_CX(%esp), %ecx
	leal	-16(%eax), %esp
	popl	%eax
	iret
.Lplain_iret_\@:
	movl	PT_AX(%esp), %eax
	movl	PT_CX(%esp), %ecx
	addl	$PT_IP, %esp
	iret
.endm

/* No FIXUP_FRAME or IRET_FRAME in the kernel's layout: a gap of 5 words is impossible in the kernel's x86_32 entry (FIXUP_FRAME copies the 6 words pushed before it (fs, gs, orig_ax and the CPU's frame) down by pushes, so the gap is those 6 words or more) */
