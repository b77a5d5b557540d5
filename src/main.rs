//! The `evisa` binary: see [`evisa::cli`].

/// mimalloc rather than the system's allocator: the request path allocates and frees small
/// buffers on one thread and many threads share the process.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> anyhow::Result<()> {
    evisa::cli::run()
}
