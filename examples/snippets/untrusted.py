# A snippet as an LLM might write it: it does its job, then reaches for something it should not.
import ctypes
import os

numbers = [n * n for n in range(1, 11)]
with open("/work/result.txt", "w") as out:           # allowed: the scratch directory
    out.write(f"sum of squares: {sum(numbers)}\n")
print("wrote", open("/work/result.txt").read().strip(), "as uid", os.getuid())

print("now trying to mount a file system...", flush=True)
libc = ctypes.CDLL(None, use_errno=True)
libc.mount(b"none", b"/work", b"tmpfs", 0, None)      # denied: the policy kills the program
print("this line is never reached")
