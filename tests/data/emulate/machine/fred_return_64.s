# A FRED entry point that returns at once: skip the error code, then erets back to the event site.
	.text
	.globl toolkit_int3_entry, toolkit_int3_handler
toolkit_int3_entry:
	addq $8, %rsp		# 48 83 c4 08
	.byte 0xf2, 0x0f, 0x01, 0xca	# erets
toolkit_int3_handler:
	ret			# c3
