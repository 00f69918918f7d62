//! Keeping data alive and watching it change.
//!
//! DHT nodes drop an item about 2 hours after it was last put.
//! [`Session::keeper`] keeps the entry list two peers share alive and
//! [`Session::list_keeper`] a message list: they put the newest items again,
//! byte for byte, to the nodes now closest to them, every interval (default
//! 30 minutes). [`Session::watcher`] follows an entry list: it asks the
//! closest nodes every interval (default a minute) for a newer version, which
//! they send only when there is one, and reports each.
//!
//! Each gives a handle, [`Keeper`] or [`Watch`], that runs until it is
//! stopped ([`Keeper::stop`], or dropped) or its session stops; its
//! completion then comes once. A [`Watch`] is an iterator of
//! [`WatchChange`]s, which ends once it has stopped. Closures run on the
//! session's dispatcher thread; a panic in one is caught there and resumed
//! by [`Keeper::wait`] / [`Watch::wait`].
//!
//! The operation's state follows the rules of the other operations
//! (session.rs): `user` is an `Arc::into_raw` of it, owned by the completion
//! trampoline; the other callbacks take a reference of their own.
use std::ffi::{c_int, c_void};
use std::fmt;
use std::panic;
use std::ptr;
use std::sync::{mpsc, Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use crate::entries::{Entries, Entry};
use crate::session::{
    borrow_op, boundary, bytes, keep_panic, lock, run_user, started, Operation, Panic, Session,
};
use crate::{check, ffi, Error, ErrorCode, Hash, Key, Result, HASH_SIZE};

/// One round of a [`Keeper`]: what it put again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeepRound {
    /// The entry list's item seq put (0 for a message list).
    pub seq: i64,
    /// Items put: 1 for an entry list, the messages read so far of a list.
    pub items: u32,
    /// Puts the nodes acknowledged.
    pub stored: u32,
    /// Why the round failed (e.g. [`ErrorCode::NotFound`]: no node holds it
    /// yet), or `None`.
    pub error: Option<ErrorCode>,
}

/// Something a session keeps alive ([`Session::kept`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Kept {
    /// A message list ([`Session::list_keeper`]); `false`: an entry list.
    pub is_list: bool,
    /// The entry list's target ([`shared_target`](crate::shared_target)) or
    /// the message list's head.
    pub target: Hash,
    /// The entry list's item seq put last (0 for a message list).
    pub seq: i64,
    /// Rounds done so far.
    pub rounds: u32,
    /// Why the last round failed, or `None`.
    pub error: Option<ErrorCode>,
}

/// An entry a peer removed: its id and its tombstone's seq.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Removed {
    /// The entry's id.
    pub id: u32,
    /// Its tombstone's seq.
    pub seq: i64,
}

/// A new version of a watched entry list.
#[derive(Debug)]
pub struct WatchChange {
    /// The item seq of the version.
    pub seq: i64,
    /// The entries it added or made newer.
    pub updated: Vec<Entry>,
    /// The entries it removed.
    pub removed: Vec<Removed>,
    /// The merged list as of this version: a copy of the watch's own.
    pub entries: Entries,
}

fn status_error(status: ffi::scout_status) -> Option<ErrorCode> {
    check(status).err().map(|e| e.code())
}

fn interval_ms(interval: Option<Duration>) -> Result<u32> {
    let Some(d) = interval else { return Ok(0) };
    u32::try_from(d.as_millis())
        .ok()
        .filter(|&ms| ms > 0)
        .ok_or_else(|| {
            Error::new(
                ErrorCode::InvalidArgument,
                format!(
                    "scout: an interval must be from 1 ms to {} ms, got {d:?}",
                    u32::MAX
                ),
            )
        })
}

// ---------------------------------------------------------------------------
// What keepers and watches share: the end
// ---------------------------------------------------------------------------

/// How a keeper or watch ended, once it has.
struct End {
    ended: Mutex<Option<ffi::scout_status>>,
    cond: Condvar,
    panic: Mutex<Option<Panic>>,
}

impl End {
    fn new() -> End {
        End {
            ended: Mutex::new(None),
            cond: Condvar::new(),
            panic: Mutex::new(None),
        }
    }

    fn finish(&self, status: ffi::scout_status) {
        *lock(&self.ended) = Some(status);
        self.cond.notify_all();
    }

    fn done(&self) -> bool {
        lock(&self.ended).is_some()
    }

    /// Waits for the end: `Ok` once stopped, the error that ended it
    /// otherwise, [`ErrorCode::Timeout`] if it runs on after `timeout`; a
    /// closure's panic is resumed here.
    fn wait(&self, timeout: Duration) -> Result<()> {
        let deadline = Instant::now() + timeout;
        let mut ended = lock(&self.ended);
        while ended.is_none() {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(Error::new(
                    ErrorCode::Timeout,
                    format!("scout: still running after {timeout:?}"),
                ));
            }
            ended = self
                .cond
                .wait_timeout(ended, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        let status = ended.unwrap_or(ffi::SCOUT_OK);
        drop(ended);
        if let Some(p) = lock(&self.panic).take() {
            panic::resume_unwind(p);
        }
        match status {
            ffi::SCOUT_OK | ffi::SCOUT_CANCELLED => Ok(()),
            other => check(other),
        }
    }
}

// ---------------------------------------------------------------------------
// Keepers
// ---------------------------------------------------------------------------

type RoundFn = Callback<KeepRound>;

struct KeepOp {
    session: usize,
    end: End,
    last: Mutex<(u32, Option<KeepRound>)>,
    on_round: Mutex<Option<RoundFn>>,
}

/// What to keep alive, and how: from [`Session::keeper`] or
/// [`Session::list_keeper`]; [`KeepBuilder::start`] starts it.
#[must_use]
pub struct KeepBuilder<'a> {
    session: &'a Session,
    target: Hash,
    shared: Option<Key>,
    interval: Option<Duration>,
    on_round: Option<RoundFn>,
}

impl fmt::Debug for KeepBuilder<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeepBuilder")
            .field("list", &self.shared.is_none())
            .field("interval", &self.interval)
            .finish()
    }
}

impl KeepBuilder<'_> {
    /// The time between two puts, each wait drawn within 10 % of it.
    /// Default: 30 minutes, a quarter of the 2-hour item lifetime.
    pub fn interval(mut self, interval: Duration) -> Self {
        self.interval = Some(interval);
        self
    }

    /// A closure told of each round, on the session's dispatcher thread.
    pub fn on_round(mut self, on_round: impl FnMut(KeepRound) + Send + 'static) -> Self {
        self.on_round = Some(Box::new(on_round));
        self
    }

    /// Starts it: the first round at once, then every interval, until the
    /// [`Keeper`] is stopped or dropped, or the session stops.
    pub fn start(self) -> Result<Keeper> {
        let mut opts = ffi::scout_keep_options {
            size: 0,
            interval_ms: 0,
        };
        // SAFETY: opts is a valid, writable options struct.
        check(unsafe { ffi::scout_keep_options_init(&mut opts) })?;
        opts.interval_ms = interval_ms(self.interval)?;
        let op = Arc::new(KeepOp {
            session: self.session.id(),
            end: End::new(),
            last: Mutex::new((0, None)),
            on_round: Mutex::new(self.on_round),
        });
        let state = Arc::clone(&op);
        let user = Arc::into_raw(op);
        let mut handle = ptr::null_mut();
        // SAFETY: the session's handle is live; the key or head is copied
        // during the call, as is opts; handle is a valid output; user is an
        // Arc reference that the completion trampoline takes over.
        let status = unsafe {
            match &self.shared {
                Some(shared) => ffi::scout_keep(
                    self.session.as_ptr(),
                    shared.as_ptr(),
                    &opts,
                    &mut handle,
                    Some(keep_round),
                    Some(keep_finished),
                    user as *mut c_void,
                ),
                None => ffi::scout_keep_list(
                    self.session.as_ptr(),
                    self.target.as_ptr(),
                    &opts,
                    &mut handle,
                    Some(keep_round),
                    Some(keep_finished),
                    user as *mut c_void,
                ),
            }
        };
        let op = started(status, user, handle)?;
        Ok(Keeper { op, state })
    }
}

/// Keeps an entry list or a message list alive ([`Session::keeper`],
/// [`Session::list_keeper`]) until [`Keeper::stop`]; dropping it stops it
/// too.
pub struct Keeper {
    op: Operation,
    state: Arc<KeepOp>,
}

impl fmt::Debug for Keeper {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keeper")
            .field("rounds", &self.rounds())
            .field("done", &self.is_done())
            .finish()
    }
}

impl Keeper {
    /// Stops it: `true` if it was running (its completion comes soon
    /// after, on the dispatcher thread), `false` if it had ended.
    pub fn stop(&self) -> bool {
        self.op.cancel()
    }

    /// Waits until it has ended: `Ok` once stopped (or its session
    /// stopped), the error that ended it otherwise, [`ErrorCode::Timeout`]
    /// if it runs on after `timeout`. A panic of the `on_round` closure is
    /// resumed here.
    pub fn wait(&self, timeout: Duration) -> Result<()> {
        self.state.end.wait(timeout)
    }

    /// Whether it has ended.
    pub fn is_done(&self) -> bool {
        self.state.end.done()
    }

    /// Rounds done so far.
    pub fn rounds(&self) -> u32 {
        lock(&self.state.last).0
    }

    /// The last round, `None` before the first.
    pub fn last_round(&self) -> Option<KeepRound> {
        lock(&self.state.last).1
    }
}

impl Drop for Keeper {
    fn drop(&mut self) {
        self.op.cancel();
    }
}

unsafe extern "C" fn keep_round(
    user: *mut c_void,
    status: ffi::scout_status,
    seq: i64,
    items: u32,
    stored: u32,
) {
    boundary(|| {
        // SAFETY: user is the KeepOp whose completion has not run yet.
        let op: Arc<KeepOp> = unsafe { borrow_op(user) };
        let round = KeepRound {
            seq,
            items,
            stored,
            error: status_error(status),
        };
        {
            let mut last = lock(&op.last);
            last.0 += 1;
            last.1 = Some(round);
        }
        call_kept(op.session, &op.on_round, &op.end.panic, round);
    });
}

/// A user's callback taking `A`, kept while an operation runs.
type Callback<A> = Box<dyn FnMut(A) + Send + 'static>;

/// Calls the closure kept in `slot` with `arg`, on `session`'s behalf:
/// taken out while it runs (a nested callback finds it absent rather than
/// waiting for the lock), put back unless it panicked; its panic is kept
/// in `panic`.
fn call_kept<A>(
    session: usize,
    slot: &Mutex<Option<Callback<A>>>,
    panic: &Mutex<Option<Panic>>,
    arg: A,
) {
    let Some(mut f) = lock(slot).take() else {
        return;
    };
    let panicked = run_user(session, || f(arg));
    if panicked.is_none() {
        lock(slot).get_or_insert(f);
    }
    keep_panic(panic, panicked);
}

unsafe extern "C" fn keep_finished(user: *mut c_void, status: ffi::scout_status) {
    boundary(|| {
        // SAFETY: the completion runs exactly once and owns the reference.
        let op = unsafe { Arc::from_raw(user as *const KeepOp) };
        drop(lock(&op.on_round).take());
        op.end.finish(status);
    });
}

// ---------------------------------------------------------------------------
// Watches
// ---------------------------------------------------------------------------

type ChangeFn = Callback<WatchChange>;

struct WatchOp {
    session: usize,
    end: End,
    /// The list the library replaces with the merged one before `changed`.
    list: Entries,
    updated: Mutex<Vec<Entry>>,
    removed: Mutex<Vec<Removed>>,
    sink: Mutex<Option<ChangeFn>>,
}

/// How to watch: from [`Session::watcher`]; [`WatchBuilder::start`] starts
/// it.
#[must_use]
pub struct WatchBuilder<'a> {
    session: &'a Session,
    shared: Key,
    interval: Option<Duration>,
    known: Option<Entries>,
    on_change: Option<ChangeFn>,
}

impl fmt::Debug for WatchBuilder<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WatchBuilder")
            .field("interval", &self.interval)
            .field("known", &self.known)
            .finish()
    }
}

impl WatchBuilder<'_> {
    /// The time between two looks, each drawn within 10 % of it. Default:
    /// one minute.
    pub fn interval(mut self, interval: Duration) -> Self {
        self.interval = Some(interval);
        self
    }

    /// The list the caller has: only what is newer is reported. Default:
    /// none. The watch works on a copy.
    pub fn known(mut self, entries: &Entries) -> Result<Self> {
        self.known = Some(entries.try_clone()?);
        Ok(self)
    }

    /// A closure given each change, on the session's dispatcher thread,
    /// instead of the [`Watch`]'s iterator (which then yields nothing).
    pub fn on_change(mut self, on_change: impl FnMut(WatchChange) + Send + 'static) -> Self {
        self.on_change = Some(Box::new(on_change));
        self
    }

    /// Starts it: a first look at once, then every interval, until the
    /// [`Watch`] is stopped or dropped, or the session stops.
    pub fn start(self) -> Result<Watch> {
        let mut opts = ffi::scout_watch_options {
            size: 0,
            interval_ms: 0,
        };
        // SAFETY: opts is a valid, writable options struct.
        check(unsafe { ffi::scout_watch_options_init(&mut opts) })?;
        opts.interval_ms = interval_ms(self.interval)?;
        let list = match self.known {
            Some(l) => l,
            None => Entries::new()?,
        };
        let list_raw = list.as_ptr();
        let (tx, rx) = mpsc::channel();
        let sink: ChangeFn = match self.on_change {
            Some(f) => f,
            None => Box::new(move |c| {
                let _ = tx.send(c);
            }),
        };
        let op = Arc::new(WatchOp {
            session: self.session.id(),
            end: End::new(),
            list,
            updated: Mutex::new(Vec::new()),
            removed: Mutex::new(Vec::new()),
            sink: Mutex::new(Some(sink)),
        });
        let state = Arc::clone(&op);
        let user = Arc::into_raw(op);
        let mut handle = ptr::null_mut();
        // SAFETY: the session's handle and list_raw are live (the list is
        // kept in the op state until the completion); the key and opts are
        // copied during the call; handle is a valid output; user is an Arc
        // reference that the completion trampoline takes over.
        let status = unsafe {
            ffi::scout_watch(
                self.session.as_ptr(),
                self.shared.as_ptr(),
                list_raw,
                &opts,
                &mut handle,
                Some(watch_updated),
                Some(watch_removed),
                Some(watch_changed),
                Some(watch_finished),
                user as *mut c_void,
            )
        };
        let op = started(status, user, handle)?;
        Ok(Watch { op, state, rx })
    }
}

/// Follows an entry list ([`Session::watcher`]) until [`Watch::stop`];
/// dropping it stops it too. Iterating it gives each [`WatchChange`],
/// blocking until the next, and ends once it has stopped.
pub struct Watch {
    op: Operation,
    state: Arc<WatchOp>,
    rx: mpsc::Receiver<WatchChange>,
}

impl fmt::Debug for Watch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Watch")
            .field("done", &self.is_done())
            .finish()
    }
}

impl Watch {
    /// Stops it: `true` if it was running (its completion comes soon
    /// after), `false` if it had ended.
    pub fn stop(&self) -> bool {
        self.op.cancel()
    }

    /// Waits until it has ended, as [`Keeper::wait`].
    pub fn wait(&self, timeout: Duration) -> Result<()> {
        self.state.end.wait(timeout)
    }

    /// Whether it has ended.
    pub fn is_done(&self) -> bool {
        self.state.end.done()
    }

    /// The next change: `Ok(Some(change))`, `Ok(None)` once the watch has
    /// ended and every change was taken, [`ErrorCode::Timeout`] if none
    /// comes within `timeout`.
    pub fn recv_timeout(&self, timeout: Duration) -> Result<Option<WatchChange>> {
        match self.rx.recv_timeout(timeout) {
            Ok(c) => Ok(Some(c)),
            Err(mpsc::RecvTimeoutError::Disconnected) => Ok(None),
            Err(mpsc::RecvTimeoutError::Timeout) => Err(Error::new(
                ErrorCode::Timeout,
                format!("scout: no change within {timeout:?}"),
            )),
        }
    }
}

impl Iterator for Watch {
    type Item = WatchChange;

    fn next(&mut self) -> Option<WatchChange> {
        self.rx.recv().ok()
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        self.op.cancel();
    }
}

unsafe extern "C" fn watch_updated(
    user: *mut c_void,
    id: u32,
    seq: i64,
    value: *const u8,
    len: usize,
) {
    boundary(|| {
        // SAFETY: user is the WatchOp whose completion has not run yet.
        let op: Arc<WatchOp> = unsafe { borrow_op(user) };
        // SAFETY: value points to len bytes valid during the call.
        let value = unsafe { bytes(value, len) }.to_vec();
        lock(&op.updated).push(Entry { id, seq, value });
    });
}

unsafe extern "C" fn watch_removed(user: *mut c_void, id: u32, seq: i64) {
    boundary(|| {
        // SAFETY: user is the WatchOp whose completion has not run yet.
        let op: Arc<WatchOp> = unsafe { borrow_op(user) };
        lock(&op.removed).push(Removed { id, seq });
    });
}

unsafe extern "C" fn watch_changed(user: *mut c_void, seq: i64, _updated: usize, _removed: usize) {
    boundary(|| {
        // SAFETY: user is the WatchOp whose completion has not run yet.
        let op: Arc<WatchOp> = unsafe { borrow_op(user) };
        let Ok(entries) = op.list.try_clone() else {
            return;
        };
        let change = WatchChange {
            seq,
            updated: std::mem::take(&mut *lock(&op.updated)),
            removed: std::mem::take(&mut *lock(&op.removed)),
            entries,
        };
        call_kept(op.session, &op.sink, &op.end.panic, change);
    });
}

unsafe extern "C" fn watch_finished(user: *mut c_void, status: ffi::scout_status) {
    boundary(|| {
        // SAFETY: the completion runs exactly once and owns the reference.
        let op = unsafe { Arc::from_raw(user as *const WatchOp) };
        // The iterator's sender goes: it ends once the changes are taken.
        drop(lock(&op.sink).take());
        op.end.finish(status);
    });
}

// ---------------------------------------------------------------------------
// The session's side
// ---------------------------------------------------------------------------

impl Session {
    /// Keeps the entry list shared through `shared_secret` alive: its
    /// newest signed item is put again, byte for byte, to the nodes now
    /// closest to it, at once and then every interval. The list this
    /// session writes or watches meanwhile becomes the one kept.
    pub fn keeper(&self, shared_secret: &Key) -> KeepBuilder<'_> {
        KeepBuilder {
            session: self,
            target: [0; HASH_SIZE],
            shared: Some(*shared_secret),
            interval: None,
            on_round: None,
        }
    }

    /// Keeps the message list from `head` alive, as [`Session::keeper`]
    /// an entry list: its messages are read, then each is put again, byte
    /// for byte, every interval. A head of 20 zero bytes (the empty list) is
    /// [`ErrorCode::InvalidArgument`].
    pub fn list_keeper(&self, head: &Hash) -> KeepBuilder<'_> {
        KeepBuilder {
            session: self,
            target: *head,
            shared: None,
            interval: None,
            on_round: None,
        }
    }

    /// What the session keeps alive: its keepers still running, in the
    /// order they started.
    pub fn kept(&self) -> Result<Vec<Kept>> {
        let mut out = Vec::new();
        for index in 0.. {
            let mut is_list: c_int = 0;
            let mut target = [0u8; HASH_SIZE];
            let mut seq = 0i64;
            let mut rounds = 0u32;
            let mut last: ffi::scout_status = ffi::SCOUT_OK;
            // SAFETY: the session's handle is live; target has HASH_SIZE
            // writable bytes; the other outputs are valid.
            let status = unsafe {
                ffi::scout_session_kept(
                    self.as_ptr(),
                    index,
                    &mut is_list,
                    target.as_mut_ptr(),
                    &mut seq,
                    &mut rounds,
                    &mut last,
                )
            };
            if status == ffi::SCOUT_NOT_FOUND {
                break;
            }
            check(status)?;
            out.push(Kept {
                is_list: is_list != 0,
                target,
                seq,
                rounds,
                error: status_error(last),
            });
        }
        Ok(out)
    }

    /// Watches the entry list shared through `shared_secret`: a look at
    /// once and then every interval asks the closest nodes for a version
    /// newer than the newest seen (they answer without the value until
    /// there is one); each new version is a [`WatchChange`]. It never
    /// writes.
    pub fn watcher(&self, shared_secret: &Key) -> WatchBuilder<'_> {
        WatchBuilder {
            session: self,
            shared: *shared_secret,
            interval: None,
            known: None,
            on_change: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals() {
        assert_eq!(interval_ms(None).unwrap(), 0);
        assert_eq!(interval_ms(Some(Duration::from_millis(250))).unwrap(), 250);
        for bad in [
            Duration::ZERO,
            Duration::from_micros(10),
            Duration::from_secs(1 << 40),
        ] {
            assert_eq!(
                interval_ms(Some(bad)).map_err(|e| e.code()),
                Err(ErrorCode::InvalidArgument)
            );
        }
    }
}
