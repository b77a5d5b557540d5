//! Rebuilds the crate when a migration is added or changed: the migrations are embedded in the
//! binary, and a new directory is not a file the compiler saw.

fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
