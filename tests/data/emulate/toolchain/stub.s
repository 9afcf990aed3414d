# An assembly file beside C: assembled by the assembler, not the compiler.
	.text
	.globl toolkit_stub
toolkit_stub:
	pushq $-1		# 6a ff
	hlt			# f4
