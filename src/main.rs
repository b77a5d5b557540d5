//! The `evisa` binary: see [`evisa::cli`].

fn main() -> anyhow::Result<()> {
    evisa::cli::run()
}
