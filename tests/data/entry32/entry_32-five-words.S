/* SPDX-License-Identifier: GPL-2.0 */
/*
 * An x86_32 entry file in the shape of v5.3's, written for the toolkit's tests: SAVE_ALL expands
 * FIXUP_FRAME after the gs slot and before %fs, so the fix-up sees five words above %esp (gs,
 * orig_eax, ip, cs, flags) and copies five. Only the macros the int3 path passes through.
 */

#define CS_FROM_KERNEL		(1 << 29)

.macro FIXUP_FRAME
	/* The high half of the CS doubleword may hold junk. */
	andl	$0x0000ffff, 3*4(%esp)

#ifdef CONFIG_VM86
	testl	$X86_EFLAGS_VM, 4*4(%esp)
	jnz	.Lfive_done_\@
#endif
	/* This era tests the whole privilege field, not the user bit alone. */
	testl	$SEGMENT_RPL_MASK, 3*4(%esp)
	jnz	.Lfive_done_\@

	orl	$CS_FROM_KERNEL, 3*4(%esp)
	pushl	%ss			# ss
	pushl	%esp			# sp: the ss word's address, for now
	addl	$6*4, (%esp)		# sp: above ss and the five words, where the trap came from
	pushl	6*4(%esp)		# flags
	pushl	6*4(%esp)		# cs
	pushl	6*4(%esp)		# ip
	pushl	6*4(%esp)		# orig_eax
	pushl	6*4(%esp)		# gs
.Lfive_done_\@:
.endm

.macro IRET_FRAME
	testl	$CS_FROM_KERNEL, 1*4(%esp)
	jz	.Lfive_iret_done_\@

	pushl	%eax
	pushl	%ecx
	movl	5*4(%esp), %eax		# regs->sp as the handler left it
	movl	4*4(%esp), %ecx		# flags
	movl	%ecx, %ss:-1*4(%eax)
	movl	3*4(%esp), %ecx		# cs, without the marks
	andl	$0x0000ffff, %ecx
	movl	%ecx, %ss:-2*4(%eax)
	movl	2*4(%esp), %ecx		# ip
	movl	%ecx, %ss:-3*4(%eax)
	movl	1*4(%esp), %ecx		# eax
	movl	%ecx, %ss:-4*4(%eax)
	popl	%ecx
	leal	-4*4(%eax), %esp
	popl	%eax
.Lfive_iret_done_\@:
.endm

.macro SAVE_ALL pt_regs_ax=%eax
	cld
	pushl	$0			# the gs slot
	FIXUP_FRAME
	pushl	%fs
	pushl	%es
	pushl	%ds
	pushl	\pt_regs_ax
	pushl	%ebp
	pushl	%edi
	pushl	%esi
	pushl	%edx
	pushl	%ecx
	pushl	%ebx
.endm
