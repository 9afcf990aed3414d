/* A system header: the build has no include directory but its own, so the compiler refuses it. */
#include <stdio.h>

long toolkit_printed(void)
{
	return (long)sizeof(FILE);
}
