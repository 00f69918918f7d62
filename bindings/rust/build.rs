//! Prints the link flags for libscout, and nothing else.
//!
//! Where the library is looked for, first match wins:
//!
//! 1. `SCOUT_LIB_DIR`: a directory holding `libscout.so` (the CMake build
//!    directory, or an install's `lib`). `SCOUT_LIBRARY_DIR`, the name the
//!    top-level CMakeLists.txt passes to the bindings' tests, is accepted too.
//! 2. `pkg-config scout`, when the `pkg-config` program is installed and
//!    knows the package (an installed Scout; set `PKG_CONFIG_PATH` for a
//!    private prefix).
//! 3. `../../build`, the CMake build directory of this repository, if it
//!    holds the library (`cmake -S . -B build && cmake --build build`).
//! 4. Otherwise the system linker's own search path.
//!
//! The directory found is also written as an rpath into this crate's
//! tests, examples and binaries, so that they run without
//! `LD_LIBRARY_PATH`. Applications that depend on the crate set their own
//! rpath, or install the library where the loader looks.
use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    for var in [
        "SCOUT_LIB_DIR",
        "SCOUT_LIBRARY_DIR",
        "PKG_CONFIG_PATH",
        "PKG_CONFIG_LIBDIR",
    ] {
        println!("cargo:rerun-if-env-changed={var}");
    }

    if let Some(dir) = lib_dir() {
        println!("cargo:rustc-link-search=native={}", dir.display());
        let os = env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
        if os != "windows" {
            println!("cargo:rustc-link-arg=-Wl,-rpath,{}", dir.display());
        }
        // For crates that depend on this one (DEP_SCOUT_LIB_DIR).
        println!("cargo:lib_dir={}", dir.display());
    } else {
        println!(
            "cargo:warning=libscout not found through SCOUT_LIB_DIR, pkg-config or ../../build; \
             linking against the system search path"
        );
    }
    println!("cargo:rustc-link-lib=dylib=scout");
}

fn lib_dir() -> Option<PathBuf> {
    for var in ["SCOUT_LIB_DIR", "SCOUT_LIBRARY_DIR"] {
        if let Some(dir) = env::var_os(var).filter(|v| !v.is_empty()) {
            return Some(absolute(Path::new(&dir)));
        }
    }
    if let Some(dir) = pkg_config_libdir() {
        return Some(dir);
    }
    let manifest = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR")?);
    let build = manifest.join("../../build");
    if build.join("libscout.so").exists() {
        return Some(absolute(&build));
    }
    None
}

/// `pkg-config --variable=libdir scout`, if the program exists and knows
/// the package.
fn pkg_config_libdir() -> Option<PathBuf> {
    let program = env::var_os("PKG_CONFIG").unwrap_or_else(|| "pkg-config".into());
    let out = Command::new(program)
        .args(["--variable=libdir", "scout"])
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let dir = String::from_utf8(out.stdout).ok()?;
    let dir = dir.trim();
    (!dir.is_empty()).then(|| absolute(Path::new(dir)))
}

fn absolute(p: &Path) -> PathBuf {
    p.canonicalize().unwrap_or_else(|_| p.to_path_buf())
}
