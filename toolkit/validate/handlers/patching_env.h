/*
 * What the int3 batch of a tree's alternative.c uses from the rest of the
 * kernel, written by the toolkit and kept minimal: text_poke() writes the
 * emulated text and lets the other CPU look at it, text_poke_sync() records a
 * sync, atomics and barriers are plain (one CPU patches, the other CPU's
 * handler runs to its end between two steps), per-CPU data has one CPU, the
 * instruction decoder knows what the batch accepts, and BUG() ends the run as
 * a finding.
 */
#ifndef TOOLKIT_PATCHING_ENV_H
#define TOOLKIT_PATCHING_ENV_H

#include "toolkit_prelude.h"
#include "text-patching.h"
#include "toolkit_patching_api.h"

/* The kernel builds this file with its own warning set, not ours. */
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wunused-variable"
#pragma GCC diagnostic ignored "-Wunused-but-set-variable"
#pragma GCC diagnostic ignored "-Wmissing-braces"

#define NULL ((void *)0)
#define PAGE_SIZE 4096UL
#define MAX_INSN_SIZE 15

#define noinstr
#define notrace
#define __ref
#define __init
#define __init_or_module
#define __ro_after_init
#define __maybe_unused __attribute__((__unused__))
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#define barrier() __asm__ __volatile__("" ::: "memory")
#define READ_ONCE(x) (*(const volatile __typeof__(x) *)&(x))
#define WRITE_ONCE(x, v) (*(volatile __typeof__(x) *)&(x) = (v))
#define smp_rmb() barrier()
#define smp_wmb() barrier()
#define smp_mb() barrier()
#define smp_mb__before_atomic() barrier()
#define smp_mb__after_atomic() barrier()
#define smp_load_acquire(p) READ_ONCE(*(p))
#define smp_store_release(p, v) WRITE_ONCE(*(p), (v))
#define cpu_relax() barrier()
#define cond_resched() do { } while (0)
#define lockdep_assert_held(l) do { } while (0)
#define perf_event_text_poke(...) do { } while (0)
#define NOKPROBE_SYMBOL(name)

/* BUG() and a failed BUG_ON() end the run: the kernel would oops here. */
void toolkit_bug(const char *what, int line) __attribute__((__noreturn__));
void toolkit_warn(int line);
#undef BUG
#define BUG() toolkit_bug("BUG()", __LINE__)
#define BUG_ON(c) do { if (c) toolkit_bug("BUG_ON(" #c ")", __LINE__); } while (0)
#define VM_BUG_ON(c) BUG_ON(c)
#define WARN_ON_ONCE(c) ({ int __toolkit_w = !!(c); if (__toolkit_w) toolkit_warn(__LINE__); __toolkit_w; })
#define WARN_ON(c) WARN_ON_ONCE(c)
#define WARN_ONCE(c, ...) WARN_ON_ONCE(c)

typedef struct { int counter; } atomic_t;
#define ATOMIC_INIT(i) { (i) }
#define atomic_read(v) READ_ONCE((v)->counter)
#define atomic_set(v, i) WRITE_ONCE((v)->counter, (i))
#define atomic_set_release(v, i) atomic_set(v, i)
#define arch_atomic_read atomic_read
#define raw_atomic_read atomic_read
static inline bool toolkit_inc_not_zero(atomic_t *v)
{
	if (!v->counter)
		return false;
	v->counter++;
	return true;
}
static inline bool toolkit_dec_and_test(atomic_t *v) { return --v->counter == 0; }
static inline void toolkit_inc(atomic_t *v) { v->counter++; }
static inline void toolkit_dec(atomic_t *v) { v->counter--; }
#define atomic_inc_not_zero toolkit_inc_not_zero
#define arch_atomic_inc_not_zero toolkit_inc_not_zero
#define raw_atomic_inc_not_zero toolkit_inc_not_zero
#define atomic_dec_and_test toolkit_dec_and_test
#define arch_atomic_dec_and_test toolkit_dec_and_test
#define raw_atomic_dec_and_test toolkit_dec_and_test
#define atomic_inc toolkit_inc
#define arch_atomic_inc toolkit_inc
#define raw_atomic_inc toolkit_inc
#define atomic_dec toolkit_dec
#define arch_atomic_dec toolkit_dec
#define raw_atomic_dec toolkit_dec
/*
 * Every handler the other CPU entered has returned before the patching CPU
 * takes its next step, so a count that is not yet what the wait wants never
 * will be: the batch would wait forever.
 */
void toolkit_stuck(int line) __attribute__((__noreturn__));
#define atomic_cond_read_acquire(v, c) ({ int VAL = atomic_read(v); if (!(c)) toolkit_stuck(__LINE__); VAL; })
#define atomic_cond_read_relaxed atomic_cond_read_acquire

/* One CPU's worth of per-CPU data. */
#define DEFINE_PER_CPU(type, name) type name
#define per_cpu_ptr(p, cpu) (p)
#define this_cpu_ptr(p) (p)
#define raw_cpu_ptr(p) (p)
#define for_each_possible_cpu(cpu) for ((cpu) = 0; (cpu) < 1; (cpu)++)

/* After boot: the early path (a plain copy while no other CPU runs) is not taken. */
enum toolkit_system_states { SYSTEM_BOOTING, SYSTEM_RUNNING };
#define system_state SYSTEM_RUNNING
void text_poke_early(void *addr, const void *opcode, size_t len);

/* The patched kernel text: the sites live in here. */
extern char _stext[];

void *memcpy(void *dst, const void *src, size_t len);
void *memset(void *dst, int c, size_t len);
int memcmp(const void *a, const void *b, size_t len);

void *text_poke(void *addr, const void *opcode, size_t len);
void text_poke_sync(void);
void smp_text_poke_sync_each_cpu(void);
#define on_each_cpu(func, info, wait) text_poke_sync()
#define sync_core() do { } while (0)

/* The nops the kernel pads with (the P6 forms), by length. */
extern const unsigned char * const x86_nops[];

/* What the batch reads of a decoded instruction. */
struct insn_field {
	union {
		int value;
		unsigned char bytes[4];
	};
	unsigned char nbytes;
};
struct insn {
	struct insn_field opcode;
	struct insn_field immediate;
	unsigned char length;
	const unsigned char *kaddr;
};
int toolkit_insn_decode(struct insn *insn, const void *kaddr);
#define insn_decode_kernel(insn, kaddr) toolkit_insn_decode((insn), (kaddr))
#define kernel_insn_init(insn, kaddr, len) ((insn)->kaddr = (const unsigned char *)(kaddr))
#define insn_get_length(insn) toolkit_insn_decode((insn), (insn)->kaddr)
static inline bool is_jcc32(struct insn *insn)
{
	return insn->opcode.bytes[0] == 0x0f && (insn->opcode.bytes[1] & 0xf0) == 0x80;
}

/* The kernel's binary search, over a sorted array, as linux/bsearch.h does it. */
typedef int (*cmp_func_t)(const void *a, const void *b);
static __always_inline void *__inline_bsearch(const void *key, const void *base, size_t num,
					      size_t size, cmp_func_t cmp)
{
	const char *low = base;
	while (num > 0) {
		const char *middle = low + (num / 2) * size;
		int order = cmp(key, middle);
		if (order == 0)
			return (void *)middle;
		if (order > 0) {
			low = middle + size;
			num--;
		}
		num /= 2;
	}
	return NULL;
}
/* The handler of v5.3 and v5.4 calls the library's out-of-line one, which searches alike. */
#define bsearch __inline_bsearch

#define user_mode(regs) (((regs)->cs & 3) != 0)

#endif /* TOOLKIT_PATCHING_ENV_H */
