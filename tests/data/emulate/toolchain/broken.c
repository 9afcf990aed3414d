/* An undeclared name: the build must fail naming this file and the message. */
long toolkit_broken(void)
{
	return undeclared_name;
}
