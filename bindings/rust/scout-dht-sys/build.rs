//! Links libscout, first match wins:
//!
//! 1. `SCOUT_LIB_DIR` (or `SCOUT_LIBRARY_DIR`, the name the top-level
//!    CMakeLists.txt passes to the tests): a directory holding
//!    `libscout.so`, linked as a shared library. Its directory is passed on
//!    to dependents as `DEP_SCOUT_LIB_DIR`, for an rpath (the safe crate's
//!    build script writes it into its own tests and examples).
//! 2. The `bundled` feature (on by default): `go build -buildmode=c-archive`
//!    of the Go sources into `OUT_DIR/libscout.a`, linked statically, with
//!    what the Go runtime needs from the system (pthread, dl). The sources
//!    are `gosrc/` next to this file in a packaged crate, else the
//!    repository this crate lives in (`../../..`). Go's build cache makes a
//!    rebuild quick; cargo reruns this script when a Go source changes.
//! 3. Otherwise `pkg-config scout` (at least this crate's version): an
//!    installed libscout, linked as a shared library.
//!
//! `DEP_SCOUT_INCLUDE` gives dependents the directory of `scout.h`.
use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

const MODULE: &str = "github.com/scout-dht/scout";

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    for var in [
        "SCOUT_LIB_DIR",
        "SCOUT_LIBRARY_DIR",
        "PKG_CONFIG_PATH",
        "PKG_CONFIG_LIBDIR",
        "GOFLAGS",
        "CC",
    ] {
        println!("cargo:rerun-if-env-changed={var}");
    }

    for var in ["SCOUT_LIB_DIR", "SCOUT_LIBRARY_DIR"] {
        if let Some(dir) = env::var_os(var).filter(|v| !v.is_empty()) {
            let dir = absolute(Path::new(&dir));
            link_shared(&dir);
            if let Some(root) = go_root() {
                println!("cargo:include={}", root.join("include").display());
            }
            return;
        }
    }

    if env::var_os("CARGO_FEATURE_BUNDLED").is_some() {
        let Some(root) = go_root() else {
            fail(
                "the `bundled` feature builds libscout from its Go sources, which are not here \
                 (no gosrc/ in the crate, and it is not inside the scout repository); use \
                 `default-features = false` to link an installed libscout through pkg-config",
            );
        };
        build_static(&root);
        println!("cargo:include={}", root.join("include").display());
        return;
    }

    let version = env::var("CARGO_PKG_VERSION").unwrap();
    match pkg_config::Config::new()
        .atleast_version(&version)
        .cargo_metadata(true)
        .probe("scout")
    {
        Ok(lib) => {
            if let Some(dir) = lib.link_paths.first() {
                println!("cargo:lib_dir={}", dir.display());
            }
            if let Some(dir) = lib.include_paths.first() {
                println!("cargo:include={}", dir.display());
            }
        }
        Err(e) => fail(&format!(
            "libscout {version} or newer not found through pkg-config ({e}); install it \
             (cmake --install), set PKG_CONFIG_PATH to its lib/pkgconfig, set SCOUT_LIB_DIR, \
             or enable the `bundled` feature to build it from the Go sources"
        )),
    }
}

/// Links the libscout.so in dir, and tells dependents where it is.
fn link_shared(dir: &Path) {
    println!("cargo:rustc-link-search=native={}", dir.display());
    println!("cargo:rustc-link-lib=dylib=scout");
    println!("cargo:lib_dir={}", dir.display());
}

/// Builds libscout.a from the Go module at root and links it statically.
fn build_static(root: &Path) {
    let out = PathBuf::from(env::var_os("OUT_DIR").unwrap());
    let go = env::var_os("GO").unwrap_or_else(|| "go".into());
    // Go caches a cgo package by the files in its own directory: the
    // header's hash in CGO_CFLAGS rebuilds capi when include/scout.h
    // changes, as CMakeLists.txt does.
    let header = std::fs::read(root.join("include/scout.h")).unwrap_or_default();
    let mut cflags = env::var("CGO_CFLAGS").unwrap_or_else(|_| "-O2 -g".into());
    cflags.push_str(&format!(" -DSCOUT_HEADER_HASH={:016x}", fnv1a(&header)));
    let archive = out.join("libscout.a");
    let status = Command::new(&go)
        .current_dir(root)
        .env("CGO_ENABLED", "1")
        .env("CGO_CFLAGS", cflags)
        .args([
            "build",
            "-buildmode=c-archive",
            "-trimpath",
            "-buildvcs=false",
            "-o",
        ])
        .arg(&archive)
        .arg("./capi")
        .status()
        .unwrap_or_else(|e| {
            fail(&format!(
                "cannot run `{}` ({e}): the `bundled` feature builds libscout with Go \
                 (https://go.dev/dl/, 1.26 or newer) and a C compiler; install them, or use \
                 `default-features = false` to link an installed libscout",
                go.to_string_lossy()
            ))
        });
    if !status.success() {
        fail(&format!(
            "go build -buildmode=c-archive ./capi failed ({status})"
        ));
    }
    let _ = std::fs::remove_file(out.join("libscout.h")); // cgo's export header, not ours
    for dir in ["capi", "scout", "internal", "include"] {
        println!("cargo:rerun-if-changed={}", root.join(dir).display());
    }
    for file in ["go.mod", "go.sum"] {
        println!("cargo:rerun-if-changed={}", root.join(file).display());
    }
    println!("cargo:rustc-link-search=native={}", out.display());
    println!("cargo:rustc-link-lib=static=scout");
    let os = env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if os == "linux" || os == "android" {
        println!("cargo:rustc-link-lib=dylib=pthread");
        println!("cargo:rustc-link-lib=dylib=dl");
    } else if os == "macos" {
        println!("cargo:rustc-link-lib=framework=CoreFoundation");
        println!("cargo:rustc-link-lib=framework=Security");
        println!("cargo:rustc-link-lib=dylib=resolv");
    }
}

/// The Go module's root: gosrc/ in a packaged crate, else the repository.
fn go_root() -> Option<PathBuf> {
    let manifest = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR")?);
    [manifest.join("gosrc"), manifest.join("../../..")]
        .into_iter()
        .find(|root| {
            std::fs::read_to_string(root.join("go.mod"))
                .is_ok_and(|m| m.starts_with(&format!("module {MODULE}\n")))
        })
        .map(|root| absolute(&root))
}

/// FNV-1a, 64 bits: a hash of the header for CGO_CFLAGS (no dependency).
fn fnv1a(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

fn absolute(p: &Path) -> PathBuf {
    p.canonicalize().unwrap_or_else(|_| p.to_path_buf())
}

fn fail(msg: &str) -> ! {
    eprintln!("scout-dht-sys: {msg}");
    println!("cargo:warning=scout-dht-sys: {msg}");
    std::process::exit(1);
}
