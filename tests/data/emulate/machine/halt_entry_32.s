# An entry point that goes straight to a landing pad (the first hlt of the sites page at
# 0xc2000000), so that a test sees exactly the frame the delivery model pushed.
	.text
	.globl toolkit_int3_entry, toolkit_int3_handler
toolkit_int3_entry:
	jmp 0xc2000000	# e9 rel32
toolkit_int3_handler:
	ret			# c3
