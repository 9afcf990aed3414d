"""Review and code generation for x86 int3 text-patching patches in the Linux kernel."""

__version__ = "0.1.0"
