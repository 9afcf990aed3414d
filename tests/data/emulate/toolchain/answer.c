/* A global and a function reading it: the image must carry both symbols and a writable data segment. */
long toolkit_answer = 42;

long toolkit_add_answer(long x)
{
	return x + toolkit_answer;
}
