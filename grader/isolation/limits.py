"""Resource limits of one student process, and how they are applied without code running
between fork and exec.

The limits are set by util-linux's `prlimit`, which sets them on itself and then execs the
student's command: Python code run between fork and exec is documented as unsafe in a process
with threads, and the grader runs notebooks and hidden tests in threads. A limit above the
hard limit this process inherited (no CAP_SYS_RESOURCE in a container) is lowered to it here,
in the parent.

Scratch space (Limits.scratch_bytes / scratch_files) is a private tmpfs inside bubblewrap
(see bubblewrap.py): its pages are memory, not disk, and RLIMIT_AS does not count them, so
a sandbox may hold memory_bytes of address space plus scratch_bytes of files at most.
"""
from __future__ import annotations

import resource
import shutil
from dataclasses import dataclass

# Scratch sizes: ipykernel, matplotlib's font cache and a saved figure or two need under 2 MiB
# and a few dozen files; 64 MiB (as much as one file may hold, RLIMIT_FSIZE) leaves room for a
# student's own checkpoints while 8 sandboxes (4 workers, each a kernel and a hidden-test
# child) hold at most 0.5 GiB of the machine's memory in scratch. 10,000 files bound the
# kernel memory of inodes (about 1 KiB each: 10 MiB) and the time to list or delete them.
SCRATCH_BYTES = 64 << 20
SCRATCH_FILES = 10_000


@dataclass(frozen=True)
class Limits:
    wall_seconds: float = 60.0        # enforced by the caller (timeouts on reads / nbclient)
    cpu_seconds: int = 120            # RLIMIT_CPU, per process
    memory_bytes: int = 4 << 30       # RLIMIT_AS: a numpy+matplotlib child peaks at 0.19 GiB, an
                                      # ipykernel using them at 0.37 GiB; the rest is for data
    file_bytes: int = 64 << 20        # RLIMIT_FSIZE
    processes: int = 256              # RLIMIT_NPROC: tasks (threads too) of the sandbox uid
    output_bytes: int = 1 << 20       # captured stdout/stderr kept per test
    scratch_bytes: int = SCRATCH_BYTES   # the private scratch tmpfs (bubblewrap only)
    scratch_files: int = SCRATCH_FILES   # its inodes, folders included (bubblewrap as root)


def rlimit_prefix(limits: Limits, *, processes: bool) -> list[str]:
    """`prlimit ... --` setting the limits on the command that follows it. `processes`:
    also RLIMIT_NPROC (only for a uid of the sandbox's own: for the grader's uid it would
    count every process the grader runs)."""
    values = [("cpu", resource.RLIMIT_CPU, limits.cpu_seconds),
              ("as", resource.RLIMIT_AS, limits.memory_bytes),
              ("fsize", resource.RLIMIT_FSIZE, limits.file_bytes),
              ("core", resource.RLIMIT_CORE, 0)]
    if processes:
        values.append(("nproc", resource.RLIMIT_NPROC, limits.processes))
    args = [tool("prlimit")]
    for option, which, value in values:
        hard = resource.getrlimit(which)[1]
        value = value if hard == resource.RLIM_INFINITY else min(value, hard)
        args.append(f"--{option}={value}")
    return args + ["--"]


def soft_memory_prefix(memory_bytes: int) -> list[str]:
    """`prlimit --as=N:<hard> --`: a soft RLIMIT_AS only, so that the sandboxes such a process
    starts may still be given their own (larger) memory limit."""
    hard = resource.getrlimit(resource.RLIMIT_AS)[1]
    hard_text = "unlimited" if hard == resource.RLIM_INFINITY else str(hard)
    soft = memory_bytes if hard == resource.RLIM_INFINITY else min(memory_bytes, hard)
    return [tool("prlimit"), f"--as={soft}:{hard_text}", "--"]


def die_with_parent_prefix() -> list[str]:
    """`setpriv --pdeathsig KILL --`: the command is killed when the thread that started it
    ends (the grader dies). Set after any change of uid, which would clear it."""
    return [tool("setpriv"), "--pdeathsig", "KILL", "--"]


def tool(name: str) -> str:
    """The absolute path of a util-linux tool (also valid inside bubblewrap, which binds /usr
    and the /bin, /sbin links)."""
    found = shutil.which(name, path="/usr/bin:/bin:/usr/sbin:/sbin")
    if found is None:
        raise OSError(f"{name} (util-linux) is needed to start student processes")
    return found


def scratch_note(limits: Limits) -> str:
    """Said to a student whose code hit ENOSPC: the scratch space is theirs alone."""
    return ("Your code filled its own scratch space (at most %d MiB in %d files and folders, "
            "HOME and TMPDIR included); nothing else writes there, so write less (or delete "
            "what you no longer need)." % (limits.scratch_bytes >> 20, limits.scratch_files))


OUT_OF_MEMORY = "grader worker: out of memory"   # its last words on stderr


def worker_out_of_memory(memory_bytes: int) -> str:
    """The error of a submission whose grader worker hit its own memory limit."""
    return ("the grader ran out of memory on this submission (its limit is %.3g GiB: [limits] "
            "grader_memory_bytes in the rubric); it will be graded again on the next run"
            % (memory_bytes / (1 << 30)))


def near_memory_limit(share: float = 0.8) -> bool:
    """Has this process used most of its address-space limit (the soft RLIMIT_AS)? After a
    failure, that is the likely cause whatever the error says (MemoryError, a shared library
    that could not be mapped, a C library giving up)."""
    soft = resource.getrlimit(resource.RLIMIT_AS)[0]
    if soft == resource.RLIM_INFINITY:
        return False
    try:
        with open("/proc/self/status") as status:
            peak = next(int(line.split()[1]) * 1024 for line in status
                        if line.startswith("VmPeak:"))
    except (OSError, StopIteration, ValueError):
        return False
    return peak >= share * soft
