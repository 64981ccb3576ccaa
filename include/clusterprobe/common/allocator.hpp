#pragma once
// glibc malloc's dynamic mmap threshold hands large buffers (LibTorch's
// activations and gradients, MBs per step) back to the kernel on free and
// maps them again zeroed at the next step: runs of one study then alternated
// between two speeds, the slow one spending a third of its time in the
// kernel (bench/README.md, "Allocator"). One fixed policy for the process.
namespace cp {

/// Call first in main(), before any allocation worth keeping. Keeps blocks up
/// to 512 MiB in the heap (M_MMAP_THRESHOLD; larger ones, e.g. a big layer's
/// matrix, are still mapped and returned at free) and trims the heap only
/// beyond 1 GiB of free space at its top (M_TRIM_THRESHOLD). A value the
/// user set through MALLOC_MMAP_THRESHOLD_ / MALLOC_TRIM_THRESHOLD_ wins.
void tune_allocator();

}  // namespace cp
