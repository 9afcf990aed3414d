/* Only in include/uapi: found after the arch folders and include/ come up empty. */
#define _BITUL(x)	(1UL << (x))
