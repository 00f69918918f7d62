//! The loopback swarm: real DHT nodes on 127.0.0.1 in this process.
use std::ffi::c_char;
use std::fmt;
use std::ptr::{self, NonNull};

use crate::{check, check_abi, ffi, read_buf, Error, ErrorCode, Result};

/// A set of DHT nodes on 127.0.0.1 in this process, for tests and local
/// development: pass [`Swarm::bootstrap`] to
/// [`SessionBuilder::bootstrap`](crate::SessionBuilder::bootstrap) and
/// sessions talk to each other without the public DHT. Dropping it stops
/// every node; sessions bootstrapped from it keep running but lose their
/// peers.
pub struct Swarm {
    raw: NonNull<ffi::scout_swarm>,
}

// SAFETY: the header makes every handle thread-safe; the swarm is a
// registry id inside the library.
unsafe impl Send for Swarm {}
// SAFETY: as for Send.
unsafe impl Sync for Swarm {}

impl Swarm {
    /// Starts `nodes` nodes (0: 32) on ports the system chooses, and
    /// returns once they know each other. Blocks. [`ErrorCode::Network`] if a
    /// socket cannot be bound, [`ErrorCode::Timeout`] if the nodes do not join
    /// within 2 minutes.
    pub fn start(nodes: u32) -> Result<Swarm> {
        Swarm::start_at(nodes, 0)
    }

    /// Starts `nodes` nodes on consecutive UDP ports from `port` (0: the
    /// system chooses every port).
    pub fn start_at(nodes: u32, port: u16) -> Result<Swarm> {
        check_abi()?;
        let mut raw = ptr::null_mut();
        // SAFETY: raw is a valid place for the handle.
        check(unsafe { ffi::scout_swarm_start(nodes, port, &mut raw) })?;
        NonNull::new(raw)
            .map(|raw| Swarm { raw })
            .ok_or_else(|| Error::from(ErrorCode::Internal))
    }

    /// The address sessions join through, `"127.0.0.1:PORT"`.
    pub fn bootstrap(&self) -> Result<String> {
        let mut bytes = read_buf(ffi::SCOUT_ADDR_STRLEN, |buf, len| {
            // SAFETY: self.raw is live; buf has *len writable bytes.
            unsafe { ffi::scout_swarm_bootstrap(self.raw.as_ptr(), buf.cast::<c_char>(), len) }
        })?;
        if let Some(nul) = bytes.iter().position(|&b| b == 0) {
            bytes.truncate(nul);
        }
        String::from_utf8(bytes).map_err(|_| Error::from(ErrorCode::Internal))
    }

    /// Stops every node and frees the swarm; dropping it does the same.
    pub fn close(self) {
        drop(self)
    }

    /// The raw handle, for calls through [`ffi`]. It stays owned by `self`.
    pub fn as_ptr(&self) -> *mut ffi::scout_swarm {
        self.raw.as_ptr()
    }
}

impl Drop for Swarm {
    fn drop(&mut self) {
        // SAFETY: we own the handle and never use it again; freeing blocks
        // until the nodes are closed.
        unsafe { ffi::scout_swarm_free(self.raw.as_ptr()) }
    }
}

impl fmt::Debug for Swarm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Swarm")
            .field("bootstrap", &self.bootstrap().ok())
            .finish()
    }
}
