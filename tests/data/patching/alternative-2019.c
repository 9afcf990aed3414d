// A small int3 patcher written for the toolkit's tests in the shape and with the names of the
// kernel's arch/x86/kernel/alternative.c of 2019 (v5.2, before the vector): one site at a time,
// and a trap at it resumes at the address the caller gave. It is not the kernel's code.

static bool bp_patching_in_progress;
static void *bp_int3_handler, *bp_int3_addr;

int poke_int3_handler(struct pt_regs *regs)
{
	smp_rmb();
	if (likely(!bp_patching_in_progress))
		return 0;
	/* only a kernel trap at the one site being patched is ours */
	if (user_mode(regs) || regs->ip != (unsigned long)bp_int3_addr)
		return 0;
	regs->ip = (unsigned long)bp_int3_handler;
	return 1;
}
NOKPROBE_SYMBOL(poke_int3_handler);

void text_poke_bp(void *addr, const void *opcode, size_t len, void *handler)
{
	unsigned char int3 = 0xcc;

	bp_int3_handler = handler;
	bp_int3_addr = (u8 *)addr + sizeof(int3);
	bp_patching_in_progress = true;
	smp_wmb();

	text_poke(addr, &int3, sizeof(int3));
	on_each_cpu(do_sync_core, NULL, 1);
	if (len - sizeof(int3) > 0) {
		text_poke((char *)addr + sizeof(int3), (const char *)opcode + sizeof(int3),
			  len - sizeof(int3));
		on_each_cpu(do_sync_core, NULL, 1);
	}
	text_poke(addr, opcode, sizeof(int3));
	on_each_cpu(do_sync_core, NULL, 1);

	bp_patching_in_progress = false;
}
