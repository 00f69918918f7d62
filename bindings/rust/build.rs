//! Writes the directory of a shared libscout into this crate's own tests,
//! examples and binaries as an rpath, so that they run without
//! `LD_LIBRARY_PATH`. scout-dht-sys links the library and reports that
//! directory (`DEP_SCOUT_LIB_DIR`) only when it links a shared one
//! (`SCOUT_LIB_DIR`, or pkg-config); the bundled static library needs
//! nothing. Programs that depend on this crate and link a shared libscout
//! set their own rpath, or install it where the loader looks.
use std::env;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=DEP_SCOUT_LIB_DIR");
    if let Some(dir) = env::var_os("DEP_SCOUT_LIB_DIR") {
        if env::var("CARGO_CFG_TARGET_OS").as_deref() != Ok("windows") {
            println!("cargo:rustc-link-arg=-Wl,-rpath,{}", dir.to_string_lossy());
        }
    }
}
