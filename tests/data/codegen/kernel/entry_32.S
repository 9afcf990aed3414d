/* Kernel-shaped entry_32.S written for the tests: the kernel-mode frame fix-up and its exit. */
#define CS_FROM_KERNEL		(1 << 29)

.macro FIXUP_FRAME
	/* fs, the gs slot and orig_ax are on the stack; make the frame whole */
	andl	$0x0000ffff, 4*4(%esp)
	testl	$USER_SEGMENT_RPL_MASK, 4*4(%esp)
	jnz	.Lnot_from_kernel_\@
	orl	$CS_FROM_KERNEL, 4*4(%esp)
	pushl	%ss
	pushl	%esp
	addl	$7*4, (%esp)
	.rept	6
	pushl	7*4(%esp)
	.endr
.Lnot_from_kernel_\@:
.endm

.macro IRET_FRAME
	/* %esp at regs->ip: rebuild ip, cs and flags under regs->sp */
	testl	$CS_FROM_KERNEL, 1*4(%esp)
	jz	.Lplain_\@
	pushl	%eax
	pushl	%ecx
	movl	5*4(%esp), %eax
	movl	4*4(%esp), %ecx
	movl	%ecx, -1*4(%eax)
	movl	3*4(%esp), %ecx
	andl	$0x0000ffff, %ecx
	movl	%ecx, -2*4(%eax)
	movl	2*4(%esp), %ecx
	movl	%ecx, -3*4(%eax)
	movl	1*4(%esp), %ecx
	movl	%ecx, -4*4(%eax)
	popl	%ecx
	leal	-4*4(%eax), %esp
	popl	%eax
.Lplain_\@:
.endm

.macro SAVE_ALL
	cld
	pushl	$0
	pushl	%fs
	FIXUP_FRAME
	pushl	%es
	pushl	%ds
	pushl	%eax
	pushl	%ebp
	pushl	%edi
	pushl	%esi
	pushl	%edx
	pushl	%ecx
	pushl	%ebx
.endm
