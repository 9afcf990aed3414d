// A small int3 batch written for the toolkit's tests, in the shape and with the names of the
// kernel's arch/x86/kernel/alternative.c of 2019-2024 (text_poke_queue, text_poke_bp_batch):
// a sorted vector of locations, a reference count the handler takes, and the three-step write.
// It is not the kernel's code; only what it does is the same.

static void unrelated_before(void)
{
}

struct text_poke_loc {
	s32 rel_addr;		/* the site is _stext + rel_addr */
	s32 disp;
	u8 len;
	u8 opcode;
	const u8 text[POKE_MAX_OPCODE_SIZE];
	u8 old;
};

struct bp_patching_desc {
	struct text_poke_loc *vec;
	int nr_entries;
	atomic_t refs;
};

static struct bp_patching_desc bp_desc;

static __always_inline void *text_poke_addr(struct text_poke_loc *tp)
{
	return _stext + tp->rel_addr;
}

static __always_inline int patch_cmp(const void *key, const void *elt)
{
	void *at = text_poke_addr((struct text_poke_loc *)elt);

	return key < at ? -1 : key > at ? 1 : 0;
}

noinstr int poke_int3_handler(struct pt_regs *regs)
{
	struct text_poke_loc *tp;
	void *ip;
	int claimed = 0;

	if (user_mode(regs))
		return 0;
	smp_rmb();
	if (!arch_atomic_inc_not_zero(&bp_desc.refs))
		return 0;

	/* regs->ip is after the int3 byte */
	ip = (void *)regs->ip - INT3_INSN_SIZE;
	tp = __inline_bsearch(ip, bp_desc.vec, bp_desc.nr_entries, sizeof(*tp), patch_cmp);
	if (!tp)
		goto done;
	ip += tp->len;

	switch (tp->opcode) {
	case INT3_INSN_OPCODE:
		goto done;		/* an int3 put there on purpose: someone else's */
	case RET_INSN_OPCODE:
		int3_emulate_ret(regs);
		break;
	case CALL_INSN_OPCODE:
		int3_emulate_call(regs, (long)ip + tp->disp);
		break;
	case JMP32_INSN_OPCODE:
	case JMP8_INSN_OPCODE:
		int3_emulate_jmp(regs, (long)ip + tp->disp);
		break;
	case 0x70 ... 0x7f:
		int3_emulate_jcc(regs, tp->opcode & 0xf, (long)ip, tp->disp);
		break;
	default:
		BUG();
	}
	claimed = 1;
done:
	smp_mb__before_atomic();
	arch_atomic_dec(&bp_desc.refs);
	return claimed;
}

#define TP_VEC_MAX (PAGE_SIZE / sizeof(struct text_poke_loc))
static struct text_poke_loc tp_vec[TP_VEC_MAX];
static int tp_vec_nr;

static void text_poke_bp_batch(struct text_poke_loc *tp, unsigned int nr_entries)
{
	unsigned char int3 = INT3_INSN_OPCODE;
	unsigned int i;

	bp_desc.vec = tp;
	bp_desc.nr_entries = nr_entries;
	atomic_set_release(&bp_desc.refs, 1);
	smp_wmb();

	/* one: an int3 over the first byte of every site */
	for (i = 0; i < nr_entries; i++) {
		tp[i].old = *(u8 *)text_poke_addr(&tp[i]);
		text_poke(text_poke_addr(&tp[i]), &int3, INT3_INSN_SIZE);
	}
	text_poke_sync();

	/* two: the rest of each new instruction behind it */
	for (i = 0; i < nr_entries; i++) {
		u8 whole[POKE_MAX_OPCODE_SIZE + 1];
		const u8 *text = tp[i].text;

		if (tp[i].len == 6) {		/* Jcc.d32: the 0x0f was left out of text */
			whole[0] = 0x0f;
			memcpy(whole + 1, tp[i].text, 5);
			text = whole;
		}
		if (tp[i].len > INT3_INSN_SIZE)
			text_poke(text_poke_addr(&tp[i]) + INT3_INSN_SIZE, text + INT3_INSN_SIZE,
				  tp[i].len - INT3_INSN_SIZE);
	}
	text_poke_sync();

	/* three: the first byte, unless the new instruction is an int3 itself */
	for (i = 0; i < nr_entries; i++) {
		u8 first = tp[i].len == 6 ? 0x0f : tp[i].text[0];

		if (first != INT3_INSN_OPCODE)
			text_poke(text_poke_addr(&tp[i]), &first, INT3_INSN_SIZE);
	}
	text_poke_sync();

	if (!atomic_dec_and_test(&bp_desc.refs))
		atomic_cond_read_acquire(&bp_desc.refs, !VAL);
}

static void text_poke_loc_init(struct text_poke_loc *tp, void *addr, const void *opcode,
			       size_t len, const void *emulate)
{
	struct insn insn;
	int skip = len == 6 ? 1 : 0;

	memcpy((void *)tp->text, opcode + skip, len - skip);
	BUG_ON(insn_decode_kernel(&insn, emulate ? emulate : opcode) < 0);
	tp->rel_addr = addr - (void *)_stext;
	tp->len = len;
	tp->opcode = is_jcc32(&insn) ? insn.opcode.bytes[1] - 0x10 : insn.opcode.bytes[0];

	switch (tp->opcode) {
	case INT3_INSN_OPCODE:
	case RET_INSN_OPCODE:
		break;
	case CALL_INSN_OPCODE:
	case JMP32_INSN_OPCODE:
	case JMP8_INSN_OPCODE:
	case 0x70 ... 0x7f:
		tp->disp = insn.immediate.value;
		break;
	default:			/* a nop of two or five bytes jumps to the next insn */
		BUG_ON(len != 2 && len != 5);
		BUG_ON(memcmp(emulate ? emulate : opcode, x86_nops[len], len));
		tp->opcode = len == 2 ? JMP8_INSN_OPCODE : JMP32_INSN_OPCODE;
		tp->disp = 0;
	}
}

static void text_poke_flush(void *addr)
{
	/* the handler's search needs the vector in address order: flush before going down */
	if (tp_vec_nr == TP_VEC_MAX ||
	    (tp_vec_nr && (!addr || text_poke_addr(&tp_vec[tp_vec_nr - 1]) > addr))) {
		text_poke_bp_batch(tp_vec, tp_vec_nr);
		tp_vec_nr = 0;
	}
}

void text_poke_finish(void)
{
	text_poke_flush(NULL);
}

void __ref text_poke_queue(void *addr, const void *opcode, size_t len, const void *emulate)
{
	text_poke_flush(addr);
	text_poke_loc_init(&tp_vec[tp_vec_nr++], addr, opcode, len, emulate);
}

void __ref text_poke_bp(void *addr, const void *opcode, size_t len, const void *emulate)
{
	struct text_poke_loc tp;

	text_poke_loc_init(&tp, addr, opcode, len, emulate);
	text_poke_bp_batch(&tp, 1);
}

static void unrelated_after(void)
{
}
