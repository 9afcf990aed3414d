/* Nested and chained conditionals: #if/#elif/#else terms, a `defined()` test, a
 * continued #if line, and a macro whose value depends on an earlier macro. */
#define GAP_WORDS	6
#define GAP_BYTES	(GAP_WORDS * 8)

#if defined(CONFIG_X86_64)
extern unsigned long gap_bytes_64;
#elif GAP_WORDS > 5 && \
	defined(CONFIG_X86_32)
extern unsigned long gap_bytes_32;
#else
extern unsigned long gap_bytes_none;
#endif

#ifdef CONFIG_X86_64
# ifndef CONFIG_UML_X86
static inline unsigned long gap_size(void)
{
	return GAP_BYTES;
}
# endif
#endif
