/*
 * The patching scenario and the other CPU, included after the tree's int3
 * batch. The emulator writes the plan (the sites with their old and new
 * bytes, the calls to make) into toolkit_plan; toolkit_patching_main() makes
 * the calls through the tree's own functions, and after every write and sync
 * the other CPU executes each site the step touched from its start. It may
 * see any byte as it was at the last sync or as it is now (code another CPU
 * has not synchronised with may be fetched either way); for every view it
 * must trap into the tree's handler and be emulated as the new instruction,
 * or run the old or the new instruction whole. The first thing that goes
 * wrong ends the run, recorded in toolkit_result for the emulator to read.
 */

#define TOOLKIT_TEXT_SIZE 8192
#define TOOLKIT_MAX_SITES 320
#define TOOLKIT_MAX_OPS 400
#define TOOLKIT_MAX_LOG 2048
#define TOOLKIT_INSN 8

enum toolkit_op_kind { TOOLKIT_QUEUE = 1, TOOLKIT_FINISH = 2, TOOLKIT_SINGLE = 3 };
enum toolkit_status { TOOLKIT_RUNNING = 0, TOOLKIT_DONE = 1, TOOLKIT_FOUND = 2 };
enum toolkit_what {
	TOOLKIT_UNCLAIMED = 1,	/* a trap at a site the handler did not claim */
	TOOLKIT_TORN = 2,	/* bytes that are neither instruction whole, no trap */
	TOOLKIT_BUGGED = 3,	/* BUG() or a failed BUG_ON() */
	TOOLKIT_STUCK = 4,	/* a wait on the handlers' references that cannot end */
	TOOLKIT_WRONG = 5,	/* claimed, but emulated as something else than the new insn */
	TOOLKIT_LEFT = 6,	/* after the calls the site does not hold the new instruction */
	TOOLKIT_EARLY = 7,	/* the boot-time path was taken on a running system */
};
enum toolkit_log_kind { TOOLKIT_WRITE = 1, TOOLKIT_SYNC = 2 };

/* Every field a multiple of its size, so the emulator packs it by a plain format. */
struct toolkit_site {
	u32 offset;		/* from _stext */
	u32 len;
	u8 old[TOOLKIT_INSN];
	u8 new[TOOLKIT_INSN];
};
struct toolkit_op {
	u32 kind;
	u32 site;
};
struct toolkit_plan {
	u64 landing;		/* where a run that found something jumps to stop */
	u32 nr_sites;
	u32 nr_ops;
	struct toolkit_site sites[TOOLKIT_MAX_SITES];
	struct toolkit_op ops[TOOLKIT_MAX_OPS];
};
struct toolkit_log {
	u32 kind;
	u32 offset;
	u32 len;
	u8 bytes[TOOLKIT_INSN];
	u32 pad;
};
struct toolkit_result {
	u32 status;
	u32 what;
	u32 site;
	u32 op;
	u32 line;
	u32 nr_log;
	u32 warnings;
	u32 claimed;
	u64 flags;
	u64 got_ip;
	u64 want_ip;
	u64 got_sp;
	u64 want_sp;
	u64 got_word;
	u64 want_word;
	u8 view[TOOLKIT_INSN];
	char text[48];
	struct toolkit_log log[TOOLKIT_MAX_LOG];
};

struct toolkit_plan toolkit_plan;
struct toolkit_result toolkit_result;
char _stext[TOOLKIT_TEXT_SIZE] __attribute__((__aligned__(4096)));
static u8 toolkit_synced[TOOLKIT_TEXT_SIZE];
static u32 toolkit_op_now;
static unsigned long toolkit_other_stack[64];

/* The other CPU's return address for an emulated ret, and the words around it. */
#define TOOLKIT_RETURN_TO ((unsigned long)_stext + TOOLKIT_TEXT_SIZE - 16)

static const unsigned char toolkit_nop1[] = { 0x90 };
static const unsigned char toolkit_nop2[] = { 0x66, 0x90 };
static const unsigned char toolkit_nop3[] = { 0x0f, 0x1f, 0x00 };
static const unsigned char toolkit_nop4[] = { 0x0f, 0x1f, 0x40, 0x00 };
static const unsigned char toolkit_nop5[] = { 0x0f, 0x1f, 0x44, 0x00, 0x00 };
static const unsigned char toolkit_nop6[] = { 0x66, 0x0f, 0x1f, 0x44, 0x00, 0x00 };
const unsigned char * const x86_nops[] = {
	NULL, toolkit_nop1, toolkit_nop2, toolkit_nop3, toolkit_nop4, toolkit_nop5, toolkit_nop6,
};

void *memcpy(void *dst, const void *src, size_t len)
{
	unsigned char *d = dst;
	const unsigned char *s = src;
	while (len--)
		*d++ = *s++;
	return dst;
}

void *memset(void *dst, int c, size_t len)
{
	unsigned char *d = dst;
	while (len--)
		*d++ = (unsigned char)c;
	return dst;
}

int memcmp(const void *a, const void *b, size_t len)
{
	const unsigned char *x = a, *y = b;
	for (; len; len--, x++, y++)
		if (*x != *y)
			return *x < *y ? -1 : 1;
	return 0;
}

static void __attribute__((__noreturn__)) toolkit_stop(u32 what, u32 site, int line,
							const char *text)
{
	unsigned int i;

	toolkit_result.status = TOOLKIT_FOUND;
	toolkit_result.what = what;
	toolkit_result.site = site;
	toolkit_result.op = toolkit_op_now;
	toolkit_result.line = line;
	for (i = 0; text && text[i] && i < sizeof(toolkit_result.text) - 1; i++)
		toolkit_result.text[i] = text[i];
	__asm__ __volatile__("jmp *%0" : : "r"(toolkit_plan.landing));
	__builtin_unreachable();
}

void toolkit_bug(const char *what, int line)
{
	toolkit_stop(TOOLKIT_BUGGED, ~0u, line, what);
}

void toolkit_warn(int line)
{
	toolkit_result.warnings++;
}

void toolkit_stuck(int line)
{
	toolkit_stop(TOOLKIT_STUCK, ~0u, line, "waits for references no handler holds");
}

void text_poke_early(void *addr, const void *opcode, size_t len)
{
	toolkit_stop(TOOLKIT_EARLY, ~0u, 0, "text_poke_early");
}

int toolkit_insn_decode(struct insn *insn, const void *kaddr)
{
	const unsigned char *b = kaddr;
	int length = 0, imm = 0, immlen = 0;

	memset(insn, 0, sizeof(*insn));
	insn->kaddr = b;
	insn->opcode.bytes[0] = b[0];
	insn->opcode.nbytes = 1;
	switch (b[0]) {
	case 0xcc: case 0xc3: case 0x90:
		length = 1;
		break;
	case 0xe8: case 0xe9:
		length = 5, immlen = 4, imm = (int)(b[1] | b[2] << 8 | b[3] << 16 | (u32)b[4] << 24);
		break;
	case 0xeb: case 0x70 ... 0x7f:
		length = 2, immlen = 1, imm = (s8)b[1];
		break;
	case 0x66:
		if (b[1] == 0x90) {
			insn->opcode.bytes[0] = 0x90;
			length = 2;
		} else if (b[1] == 0x0f && b[2] == 0x1f && b[3] == 0x44) {
			insn->opcode.bytes[0] = 0x0f, insn->opcode.bytes[1] = 0x1f;
			length = 6;
		} else {
			return -1;
		}
		break;
	case 0x0f:
		insn->opcode.bytes[1] = b[1];
		insn->opcode.nbytes = 2;
		if ((b[1] & 0xf0) == 0x80) {
			length = 6, immlen = 4;
			imm = (int)(b[2] | b[3] << 8 | b[4] << 16 | (u32)b[5] << 24);
		} else if (b[1] == 0x1f) {
			/* nopl with a modrm byte: no displacement, one byte, or sib and one byte */
			length = b[2] == 0x00 ? 3 : b[2] == 0x40 ? 4 : b[2] == 0x44 ? 5 : 0;
			if (!length)
				return -1;
		} else {
			return -1;
		}
		break;
	default:
		return -1;
	}
	insn->immediate.value = imm;
	insn->immediate.nbytes = immlen;
	insn->length = length;
	return 0;
}

/* Whether condition `cc` (the low nibble of a Jcc) holds under `flags`. */
static bool toolkit_holds(unsigned int cc, unsigned long flags)
{
	bool cf = flags & 0x1, pf = flags & 0x4, zf = flags & 0x40, sf = flags & 0x80,
	     of = flags & 0x800, yes;

	switch (cc >> 1) {
	case 0: yes = of; break;
	case 1: yes = cf; break;
	case 2: yes = zf; break;
	case 3: yes = cf || zf; break;
	case 4: yes = sf; break;
	case 5: yes = pf; break;
	case 6: yes = sf != of; break;
	default: yes = zf || sf != of; break;
	}
	return (cc & 1) ? !yes : yes;
}

/* Where the instruction `b` at `site` goes, and what it does to the stack, under `flags`. */
static void toolkit_effect(const u8 *b, unsigned long site, unsigned long flags,
			   unsigned long sp, unsigned long *ip, unsigned long *new_sp,
			   unsigned long *word)
{
	struct insn insn;

	toolkit_insn_decode(&insn, b);
	*new_sp = sp;
	*word = 0;
	*ip = site + insn.length;
	switch (b[0]) {
	case 0xe8:
		*new_sp = sp - sizeof(long);
		*word = site + insn.length;
		/* fall through */
	case 0xe9: case 0xeb:
		*ip = site + insn.length + insn.immediate.value;
		break;
	case 0xc3:
		*ip = *(unsigned long *)sp;
		*new_sp = sp + sizeof(long);
		break;
	case 0x70 ... 0x7f:
		if (toolkit_holds(b[0] & 0xf, flags))
			*ip += insn.immediate.value;
		break;
	case 0x0f:
		if ((b[1] & 0xf0) == 0x80 && toolkit_holds(b[1] & 0xf, flags))
			*ip += insn.immediate.value;
		break;
	}
}

#ifdef TOOLKIT_RESUMES
static bool toolkit_is_nop(const u8 *b)
{
	return b[0] == 0x90 || (b[0] == 0x66 && b[1] == 0x90) || (b[0] == 0x0f && b[1] == 0x1f) ||
	       (b[0] == 0x66 && b[1] == 0x0f && b[2] == 0x1f);
}
#endif

static const unsigned long toolkit_flag_sets[] = { 0x2, 0x8d7, 0x82 };

/* The other CPU traps at site `i` in `view`: the tree's handler must do what the new insn does. */
static void toolkit_trap(u32 i, const u8 *view)
{
	struct toolkit_site *s = &toolkit_plan.sites[i];
	unsigned long site = (unsigned long)_stext + s->offset;
	bool conditional = (s->new[0] & 0xf0) == 0x70 ||
			   (s->new[0] == 0x0f && (s->new[1] & 0xf0) == 0x80);
	unsigned int f;

	for (f = 0; f < (conditional ? 3 : 1); f++) {
		struct pt_regs regs;
		unsigned long *top = &toolkit_other_stack[32];
		unsigned long ip, sp, word;
		bool as_old = false;
		int claimed;

		memset(&regs, 0, sizeof(regs));
		memset(toolkit_other_stack, 0, sizeof(toolkit_other_stack));
		*top = TOOLKIT_RETURN_TO;
		regs.ip = site + 1;
		regs.sp = (unsigned long)top;
		regs.flags = toolkit_flag_sets[f];
		regs.cs = 0x10;
		claimed = TOOLKIT_HANDLER(&regs);
		toolkit_result.claimed++;
		toolkit_result.flags = toolkit_flag_sets[f];
		memcpy(toolkit_result.view, view, TOOLKIT_INSN);
		if (!claimed) {
			/* an explicit int3, old or new, is its own instruction: the trap goes on */
			bool whole_int3 = (s->new[0] == 0xcc) ||
				(s->old[0] == 0xcc && !memcmp(view, s->old, s->len));
			if (whole_int3)
				return;
			toolkit_stop(TOOLKIT_UNCLAIMED, i, 0, "trap not claimed by the handler");
		}
		toolkit_effect(s->new, site, regs.flags, (unsigned long)top, &ip, &sp, &word);
#ifdef TOOLKIT_RESUMES
		/* resuming past the site is the old instruction's effect when that is a nop */
		if ((regs.ip != ip || s->new[0] == 0xcc) && toolkit_is_nop(s->old)) {
			toolkit_effect(s->old, site, regs.flags, (unsigned long)top, &ip, &sp, &word);
			as_old = true;
		}
#endif
		toolkit_result.got_ip = regs.ip, toolkit_result.want_ip = ip;
		toolkit_result.got_sp = regs.sp, toolkit_result.want_sp = sp;
		toolkit_result.got_word = regs.sp < (unsigned long)top ? *(unsigned long *)regs.sp : 0;
		toolkit_result.want_word = word;
		if ((s->new[0] == 0xcc && !as_old) || regs.ip != ip || regs.sp != sp ||
		    toolkit_result.got_word != word)
			toolkit_stop(TOOLKIT_WRONG, i, 0, "emulated as another instruction");
	}
}

/* The other CPU runs site `i` from its start, in every view a fetch may see. */
static void toolkit_look(u32 i)
{
	struct toolkit_site *s = &toolkit_plan.sites[i];
	const u8 *now = (const u8 *)_stext + s->offset, *then = toolkit_synced + s->offset;
	u32 differ[TOOLKIT_INSN], nr = 0, k, mask;

	for (k = 0; k < s->len; k++)
		if (now[k] != then[k])
			differ[nr++] = k;
	for (mask = 0; mask < (1u << nr); mask++) {
		u8 view[TOOLKIT_INSN];

		memset(view, 0, sizeof(view));
		memcpy(view, now, s->len);
		for (k = 0; k < nr; k++)
			if (mask & (1u << k))
				view[differ[k]] = then[differ[k]];
		if (view[0] == 0xcc) {
			toolkit_trap(i, view);
		} else if (memcmp(view, s->old, s->len) && memcmp(view, s->new, s->len)) {
			memcpy(toolkit_result.view, view, TOOLKIT_INSN);
			toolkit_stop(TOOLKIT_TORN, i, 0, "neither the old nor the new instruction");
		}
	}
}

static void toolkit_record(u32 kind, u32 offset, const void *bytes, u32 len)
{
	struct toolkit_log *entry;

	if (toolkit_result.nr_log >= TOOLKIT_MAX_LOG)
		return;
	entry = &toolkit_result.log[toolkit_result.nr_log++];
	entry->kind = kind;
	entry->offset = offset;
	entry->len = len;
	if (bytes)
		memcpy(entry->bytes, bytes, len < TOOLKIT_INSN ? len : TOOLKIT_INSN);
}

void *text_poke(void *addr, const void *opcode, size_t len)
{
	u32 offset = (u32)((char *)addr - _stext), i;

	if ((char *)addr < _stext || offset + len > TOOLKIT_TEXT_SIZE)
		toolkit_bug("text_poke outside the text", 0);
	memcpy(addr, opcode, len);
	toolkit_record(TOOLKIT_WRITE, offset, opcode, len);
	for (i = 0; i < toolkit_plan.nr_sites; i++) {
		struct toolkit_site *s = &toolkit_plan.sites[i];
		if (s->offset < offset + len && offset < s->offset + s->len)
			toolkit_look(i);
	}
	return addr;
}

void text_poke_sync(void)
{
	u32 i;

	memcpy(toolkit_synced, _stext, TOOLKIT_TEXT_SIZE);
	toolkit_record(TOOLKIT_SYNC, 0, NULL, 0);
	for (i = 0; i < toolkit_plan.nr_sites; i++)
		toolkit_look(i);
}

void smp_text_poke_sync_each_cpu(void)
{
	text_poke_sync();
}

void toolkit_patching_main(void);

void toolkit_patching_main(void)
{
	u32 i;

	for (i = 0; i < toolkit_plan.nr_sites; i++)
		memcpy(_stext + toolkit_plan.sites[i].offset, toolkit_plan.sites[i].old,
		       toolkit_plan.sites[i].len);
	memcpy(toolkit_synced, _stext, TOOLKIT_TEXT_SIZE);
	for (toolkit_op_now = 0; toolkit_op_now < toolkit_plan.nr_ops; toolkit_op_now++) {
		struct toolkit_op *op = &toolkit_plan.ops[toolkit_op_now];
		struct toolkit_site *s = &toolkit_plan.sites[op->site];

		switch (op->kind) {
		case TOOLKIT_QUEUE:
			TOOLKIT_QUEUE_CALL(_stext + s->offset, s->new, s->len, NULL);
			break;
		case TOOLKIT_FINISH:
			TOOLKIT_FINISH_CALL();
			break;
		case TOOLKIT_SINGLE:
			TOOLKIT_SINGLE_CALL(_stext + s->offset, s->new, s->len, NULL);
			break;
		}
	}
	/* Done: every site seen once more as the other CPU may still fetch it, then the end state. */
	toolkit_op_now = toolkit_plan.nr_ops;
	for (i = 0; i < toolkit_plan.nr_sites; i++)
		toolkit_look(i);
	for (i = 0; i < toolkit_plan.nr_sites; i++) {
		struct toolkit_site *s = &toolkit_plan.sites[i];
		if (memcmp(_stext + s->offset, s->new, s->len)) {
			memcpy(toolkit_result.view, _stext + s->offset, TOOLKIT_INSN);
			toolkit_stop(TOOLKIT_LEFT, i, 0, "the site does not hold the new instruction");
		}
	}
	toolkit_result.status = TOOLKIT_DONE;
	__asm__ __volatile__("jmp *%0" : : "r"(toolkit_plan.landing));
	__builtin_unreachable();
}

/* The emulator packs the plan and reads the result by these sizes. */
_Static_assert(sizeof(struct toolkit_site) == 24, "toolkit_site");
_Static_assert(offsetof(struct toolkit_plan, ops) == 16 + 24 * TOOLKIT_MAX_SITES, "toolkit_plan");
_Static_assert(offsetof(struct toolkit_result, log) == 144, "toolkit_result");
_Static_assert(sizeof(struct toolkit_log) == 24, "toolkit_log");
