/*
 * Generated from templates/harness_32.S.j2 by toolkit gen — do not edit.
 * Parameters: arch=x86_32 gap_words=6 style=fixup_frame helpers=jmp,push,pop,call,ret,jcc mechanisms=fixup_frame
 */
/*
 * toolkit_int3_entry: the int3 (#BP) vector. It saves every register into a
 * struct pt_regs on the stack, calls
 *
 *	void toolkit_int3_handler(struct pt_regs *regs);
 *
 * (cdecl, regs on the stack), then reloads every register from pt_regs and returns with
 * iret to regs->ip on regs->sp, so whatever the handler changes in *regs takes
 * effect. Trapped in kernel mode, the frame is first moved 24 bytes down.
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
 * its top 24 bytes below the interrupted stack pointer: those bytes are free
 * for an emulated push and for the frame the exit rebuilds.
 */
.macro toolkit_fixup_frame
	/* Not every CPU writes the upper half of the pushed CS doubleword. */
	andl	$0x0000ffff, PT_CS-PT_ORIG_AX(%esp)
	testl	$3, PT_CS-PT_ORIG_AX(%esp)
	jnz	.Lno_fixup_from_user_\@
	subl	$8, %esp
	pushl	%ss
	pushl	%esp
	/* %esp as pushed pointed at the %ss word; the interrupted one is above the copy */
	addl	$28, (%esp)
	.rept	4
	pushl	7*4(%esp)
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

	.text
	.globl	toolkit_int3_entry
	.type	toolkit_int3_entry, @function
toolkit_int3_entry:
	cld
	pushl	$-1			/* orig_ax: not a system call */
	toolkit_fixup_frame
	subl	$PT_ORIG_AX, %esp		/* room for the registers below orig_ax */
	movl	%ebx, PT_BX(%esp)
	movl	%ecx, PT_CX(%esp)
	movl	%edx, PT_DX(%esp)
	movl	%esi, PT_SI(%esp)
	movl	%edi, PT_DI(%esp)
	movl	%ebp, PT_BP(%esp)
	movl	%eax, PT_AX(%esp)
	mov	%ds, %eax
	movl	%eax, PT_DS(%esp)
	mov	%es, %eax
	movl	%eax, PT_ES(%esp)
	mov	%fs, %eax
	movl	%eax, PT_FS(%esp)
	mov	%gs, %eax
	movl	%eax, PT_GS(%esp)
	movl	%esp, %ebx			/* callee-saved: holds pt_regs across the call */
	andl	$-16, %esp
	subl	$12, %esp			/* aligned again once the argument is pushed */
	pushl	%ebx
	call	toolkit_int3_handler
	movl	%ebx, %esp
	movl	PT_DS(%esp), %eax
	mov	%eax, %ds
	movl	PT_ES(%esp), %eax
	mov	%eax, %es
	movl	PT_FS(%esp), %eax
	mov	%eax, %fs
	movl	PT_GS(%esp), %eax
	mov	%eax, %gs
	movl	PT_BX(%esp), %ebx
	movl	PT_DX(%esp), %edx
	movl	PT_SI(%esp), %esi
	movl	PT_DI(%esp), %edi
	movl	PT_BP(%esp), %ebp
	toolkit_iret_frame
	.size	toolkit_int3_entry, .-toolkit_int3_entry
