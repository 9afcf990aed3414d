# A function that loads the address of a symbol nothing defines: assembling passes (as takes it
# for an outside one), and the link must fail naming it. No .note.GNU-stack section, so ld warns
# about the stack before it says what went wrong.
	.text
	.globl	toolkit_uses_the_unknown
toolkit_uses_the_unknown:
	movl	$toolkit_never_defined, %eax
	ret
