/*
 * Generated from templates/entry_32.S.j2 by toolkit gen — do not edit.
 * Parameters: arch=x86_32 gap_words=6 style=fixup_frame helpers=jmp,push,pop,call,ret,jcc mechanisms=fixup_frame
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

/*
 * The same fix-up and exit as the kernel's entry_32.S writes them (what `toolkit
 * gen patch` installs there): fs and the gs slot are pushed below orig_ax before
 * FIXUP_FRAME, so it copies 6 words; the C macros come from the kernel's headers.
 */
.macro FIXUP_FRAME
	/*
	 * SAVE_ALL expands this once fs, the gs slot and orig_ax are pushed,
	 * with %esp at the fs word.
	 *
	 * From kernel mode the CPU pushed only ip, cs and flags, so pt_regs would have
	 * no sp and ss, and would end right below the interrupted stack. Push a whole
	 * frame lower instead: ss, the interrupted stack pointer, then the 6 words
	 * pushed so far once more. The 24 bytes they leave above it are the room
	 * int3_emulate_push() stores into and IRET_FRAME rebuilds the CPU's frame in.
	 * CS_FROM_KERNEL in the high half of the CS slot tells IRET_FRAME so.
	 */
	/* Not every CPU clears the high half of the CS doubleword it pushes. */
	andl	$0x0000ffff, 4*4(%esp)

#ifdef CONFIG_VM86
	testl	$X86_EFLAGS_VM, 5*4(%esp)
	jnz	.Lfixup_frame_done_\@
#endif
	testl	$USER_SEGMENT_RPL_MASK, 4*4(%esp)
	jnz	.Lfixup_frame_done_\@

	orl	$CS_FROM_KERNEL, 4*4(%esp)
	pushl	%ss				# ss
	pushl	%esp				# sp, for now the address of the ss word
	addl	$7*4, (%esp)		# sp: the interrupted stack, above the old words
	pushl	7*4(%esp)		# flags
	pushl	7*4(%esp)		# cs
	pushl	7*4(%esp)		# ip
	pushl	7*4(%esp)		# orig_ax
	pushl	7*4(%esp)		# gs
	pushl	7*4(%esp)		# fs
.Lfixup_frame_done_\@:
.endm

.macro IRET_FRAME
	/*
	 * RESTORE_REGS expands this with every register popped and %esp at
	 * regs->ip.
	 *
	 * iret back into the kernel pops ip, cs and flags but never a stack pointer,
	 * and a handler may have lowered regs->sp (an emulated push). For a frame
	 * FIXUP_FRAME built, write ip, cs and flags right below regs->sp, and %eax
	 * below them, move %esp there and pop %eax: iret then leaves %esp at regs->sp.
	 * Only %esp moves to the new frame, so nothing is written below a live %esp.
	 */
	testl	$CS_FROM_KERNEL, 1*4(%esp)
	jz	.Liret_frame_done_\@

	pushl	%eax
	pushl	%ecx
	movl	5*4(%esp), %eax		# regs->sp, as the handler left it

	movl	4*4(%esp), %ecx		# flags
	movl	%ecx, %ss:-1*4(%eax)

	movl	3*4(%esp), %ecx		# cs
	andl	$0x0000ffff, %ecx		# without the CS_FROM_* marks
	movl	%ecx, %ss:-2*4(%eax)

	movl	2*4(%esp), %ecx		# ip
	movl	%ecx, %ss:-3*4(%eax)

	movl	1*4(%esp), %ecx		# ax
	movl	%ecx, %ss:-4*4(%eax)

	popl	%ecx
	leal	-4*4(%eax), %esp
	popl	%eax
.Liret_frame_done_\@:
.endm

