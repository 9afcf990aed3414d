// A small int3 patcher written for the toolkit's tests in the shape and with the names of the
// kernel's arch/x86/kernel/alternative.c of late 2019 (v5.3, v5.4): a vector of sites patched
// together, searched by the handler, and a trap at a site resumes at the address its caller
// gave. struct text_poke_loc is not here: that era declares it in text-patching.h. It is not
// the kernel's code.

static struct bp_patching_desc {
	struct text_poke_loc *vec;
	int nr_entries;
} bp_patching;

static int patch_cmp(const void *key, const void *elt)
{
	const struct text_poke_loc *site = elt;

	if (key < site->addr)
		return -1;
	return key > site->addr;
}

int poke_int3_handler(struct pt_regs *regs)
{
	struct text_poke_loc *site;
	void *at;

	smp_rmb();
	if (likely(!bp_patching.nr_entries) || user_mode(regs))
		return 0;
	at = (void *)(regs->ip - 1);	/* the trap leaves ip past the int3 */
	site = bsearch(at, bp_patching.vec, bp_patching.nr_entries, sizeof(*site), patch_cmp);
	if (!site)
		return 0;
	regs->ip = (unsigned long)site->detour;
	return 1;
}
NOKPROBE_SYMBOL(poke_int3_handler);

void text_poke_bp_batch(struct text_poke_loc *tp, unsigned int nr_entries)
{
	unsigned char int3 = 0xcc;
	unsigned int i;

	bp_patching.vec = tp;
	bp_patching.nr_entries = nr_entries;
	smp_wmb();

	for (i = 0; i < nr_entries; i++)
		text_poke(tp[i].addr, &int3, sizeof(int3));
	on_each_cpu(do_sync_core, NULL, 1);
	for (i = 0; i < nr_entries; i++)
		if (tp[i].len > sizeof(int3))
			text_poke((char *)tp[i].addr + sizeof(int3), tp[i].opcode + sizeof(int3),
				  tp[i].len - sizeof(int3));
	on_each_cpu(do_sync_core, NULL, 1);
	for (i = 0; i < nr_entries; i++)
		text_poke(tp[i].addr, tp[i].opcode, sizeof(int3));
	on_each_cpu(do_sync_core, NULL, 1);

	bp_patching.nr_entries = 0;
	smp_wmb();
	bp_patching.vec = NULL;
}

void text_poke_bp(void *addr, const void *opcode, size_t len, void *handler)
{
	struct text_poke_loc tp = { .detour = handler, .addr = addr, .len = len };

	if (len > POKE_MAX_OPCODE_SIZE) {
		WARN_ONCE(1, "a %zu-byte instruction is too long\n", len);
		return;
	}
	memcpy((void *)tp.opcode, opcode, len);
	text_poke_bp_batch(&tp, 1);
}
