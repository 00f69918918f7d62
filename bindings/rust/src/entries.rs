//! Entry lists: [`Entries`], its entries and the borrowed list a
//! synchronize's finalize closure edits.
use std::fmt;
use std::marker::PhantomData;
use std::mem::ManuallyDrop;
use std::ops::Deref;
use std::ptr::{self, NonNull};

use crate::{
    check, check_abi, ffi, read_buf, Error, ErrorCode, Result, MAX_ENTRIES_SIZE, MAX_VALUE_SIZE,
};

/// One entry of a list: a 32-bit id, unique in its list, a sequence number
/// (the higher wins when lists are merged) and a value of at most
/// [`MAX_VALUE_SIZE`] bytes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Entry {
    /// The entry's id.
    pub id: u32,
    /// Its sequence number.
    pub seq: i64,
    /// Its value.
    pub value: Vec<u8>,
}

/// An entry list: entries with unique ids, in insertion order (the wire
/// format does not sort). A handle to a list inside the library, freed on
/// drop.
///
/// ```
/// let mut list = scout::Entries::new().unwrap();
/// assert_eq!(list.assign(7, b"seven").unwrap(), 1); // a new entry gets seq 1
/// assert_eq!(list.assign(7, b"SEVEN").unwrap(), 2);
/// let e = list.get(7).unwrap().unwrap();
/// assert_eq!((e.seq, &e.value[..]), (2, &b"SEVEN"[..]));
/// let bytes = list.serialize().unwrap();
/// assert_eq!(scout::Entries::parse(&bytes).unwrap().to_vec().unwrap(), list.to_vec().unwrap());
/// ```
pub struct Entries {
    raw: NonNull<ffi::scout_entries>,
}

// SAFETY: the header makes every handle thread-safe: any function may be
// called on it from any thread, calls are serialized inside the library.
// The handle is a registry id, not memory this process touches.
unsafe impl Send for Entries {}
// SAFETY: as for Send; methods that change the list take &mut self only to
// make the Rust API honest, the library needs no exclusion.
unsafe impl Sync for Entries {}

impl Entries {
    /// A new, empty list.
    pub fn new() -> Result<Entries> {
        check_abi()?;
        let mut raw = ptr::null_mut();
        // SAFETY: raw is a valid place for the handle.
        check(unsafe { ffi::scout_entries_new(&mut raw) })?;
        Entries::adopt(raw)
    }

    /// A list holding these entries, in this order, each with exactly its
    /// id, seq and value (see [`Entries::set`]).
    pub fn from_entries<'a>(entries: impl IntoIterator<Item = &'a Entry>) -> Result<Entries> {
        let mut list = Entries::new()?;
        for e in entries {
            list.set(e.id, e.seq, &e.value)?;
        }
        Ok(list)
    }

    /// Parses a list in the wire format; bytes after the last entry are
    /// ignored. Truncated or inconsistent input is
    /// [`ErrorCode::InvalidArgument`].
    pub fn parse(bytes: &[u8]) -> Result<Entries> {
        Entries::parse_prefix(bytes).map(|(list, _)| list)
    }

    /// Parses a list like [`Entries::parse`] and also returns how many
    /// bytes it read; the rest is what the list ignored.
    pub fn parse_prefix(bytes: &[u8]) -> Result<(Entries, usize)> {
        check_abi()?;
        let mut raw = ptr::null_mut();
        let mut consumed = 0usize;
        // SAFETY: bytes is valid for its length; raw and consumed are valid
        // places for the outputs.
        check(unsafe {
            ffi::scout_entries_parse(bytes.as_ptr(), bytes.len(), &mut raw, &mut consumed)
        })?;
        Ok((Entries::adopt(raw)?, consumed))
    }

    /// Takes ownership of a handle the library just returned.
    fn adopt(raw: *mut ffi::scout_entries) -> Result<Entries> {
        NonNull::new(raw)
            .map(|raw| Entries { raw })
            .ok_or_else(|| Error::from(ErrorCode::Internal))
    }

    /// A copy of the list, sharing nothing with it.
    pub fn try_clone(&self) -> Result<Entries> {
        let mut raw = ptr::null_mut();
        // SAFETY: self.raw is a live handle; raw is a valid place for the
        // new one.
        check(unsafe { ffi::scout_entries_clone(self.raw.as_ptr(), &mut raw) })?;
        Entries::adopt(raw)
    }

    /// How many entries the list holds.
    pub fn len(&self) -> Result<usize> {
        raw_len(self.raw)
    }

    /// Whether the list holds no entry.
    pub fn is_empty(&self) -> Result<bool> {
        Ok(self.len()? == 0)
    }

    /// Adds an entry with this id and value, or updates the existing one's
    /// value; either way its seq is incremented (a new entry gets 1) and
    /// returned, and the entry is marked changed, so the next synchronize
    /// publishes it. A value over [`MAX_VALUE_SIZE`] bytes, or a new id in a
    /// full list, is [`ErrorCode::TooLarge`].
    pub fn assign(&mut self, id: u32, value: &[u8]) -> Result<i64> {
        raw_assign(self.raw, id, value)
    }

    /// Adds or replaces the entry with this id, with exactly this seq and
    /// value, as received from elsewhere (not marked changed).
    pub fn set(&mut self, id: u32, seq: i64, value: &[u8]) -> Result<()> {
        raw_set(self.raw, id, seq, value)
    }

    /// The entry with this id, `None` if there is none.
    pub fn get(&self, id: u32) -> Result<Option<Entry>> {
        let mut seq = 0i64;
        let mut value = [0u8; MAX_VALUE_SIZE];
        let mut len = value.len();
        // SAFETY: self.raw is live; seq, value (len bytes) and len are
        // valid outputs; MAX_VALUE_SIZE bytes always suffice.
        let status = unsafe {
            ffi::scout_entries_get(
                self.raw.as_ptr(),
                id,
                &mut seq,
                value.as_mut_ptr(),
                &mut len,
            )
        };
        found(status, || Entry {
            id,
            seq,
            value: value[..len.min(MAX_VALUE_SIZE)].to_vec(),
        })
    }

    /// The entry at this position (0-based, in list order), `None` past
    /// the end.
    pub fn at(&self, index: usize) -> Result<Option<Entry>> {
        raw_at(self.raw, index)
    }

    /// Removes the entry with this id, keeping the others' order; `false`
    /// if there was none. The removal reaches the other peers: the entry
    /// becomes a tombstone, which the list hides, with an empty value and
    /// a higher seq, so that the next synchronize publishes it and it wins
    /// over the entry's older copies. [`Entries::assign`] brings it back.
    pub fn remove(&mut self, id: u32) -> Result<bool> {
        raw_remove(self.raw, id)
    }

    /// The entries in list order. Each item is a `Result`: reading an
    /// entry only fails if the library does.
    pub fn iter(&self) -> Iter<'_> {
        Iter {
            list: self,
            index: 0,
            done: false,
        }
    }

    /// Every entry, in list order.
    pub fn to_vec(&self) -> Result<Vec<Entry>> {
        self.iter().collect()
    }

    /// The list in the wire format (the plaintext that is sealed): u8
    /// count, u8 offset (0), then each entry.
    pub fn serialize(&self) -> Result<Vec<u8>> {
        let mut need = 0usize;
        // SAFETY: self.raw is live; a NULL buffer with *len == 0 asks for
        // the size.
        let status =
            unsafe { ffi::scout_entries_serialize(self.raw.as_ptr(), ptr::null_mut(), &mut need) };
        if status != ffi::SCOUT_OK && status != ffi::SCOUT_BUFFER_TOO_SMALL {
            check(status)?;
        }
        read_buf(need.min(MAX_ENTRIES_SIZE), |buf, len| {
            // SAFETY: self.raw is live; buf has *len writable bytes.
            unsafe { ffi::scout_entries_serialize(self.raw.as_ptr(), buf, len) }
        })
    }

    /// Frees the list now; dropping it does the same.
    pub fn close(self) {
        drop(self)
    }

    /// The raw handle, for calls through [`ffi`]. It stays owned by `self`.
    pub fn as_ptr(&self) -> *mut ffi::scout_entries {
        self.raw.as_ptr()
    }

    /// Gives up ownership of the handle: the caller frees it with
    /// `scout_entries_free` (or [`Entries::from_raw`]).
    pub fn into_raw(self) -> *mut ffi::scout_entries {
        ManuallyDrop::new(self).raw.as_ptr()
    }

    /// Takes ownership of a handle from `scout_entries_new`, `_clone` or
    /// `_parse`.
    ///
    /// # Safety
    ///
    /// `raw` must be a live entry-list handle that nothing else frees;
    /// the returned value frees it on drop. (A stale handle is not a
    /// memory-safety problem for the library, but every call on it fails.)
    pub unsafe fn from_raw(raw: *mut ffi::scout_entries) -> Result<Entries> {
        Entries::adopt(raw)
    }
}

impl Drop for Entries {
    fn drop(&mut self) {
        // SAFETY: we own the handle; freeing it twice or while another
        // thread uses it is harmless per the header, and we never use it
        // again.
        unsafe { ffi::scout_entries_free(self.raw.as_ptr()) }
    }
}

impl fmt::Debug for Entries {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.to_vec() {
            Ok(v) => f.debug_tuple("Entries").field(&v).finish(),
            Err(e) => f.debug_tuple("Entries").field(&e).finish(),
        }
    }
}

impl<'a> IntoIterator for &'a Entries {
    type Item = Result<Entry>;
    type IntoIter = Iter<'a>;
    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

/// The entries of a list in order, from [`Entries::iter`]. Stops after the
/// last entry or the first error.
pub struct Iter<'a> {
    list: &'a Entries,
    index: usize,
    done: bool,
}

impl Iterator for Iter<'_> {
    type Item = Result<Entry>;
    fn next(&mut self) -> Option<Result<Entry>> {
        if self.done {
            return None;
        }
        let item = self.list.at(self.index).transpose();
        self.index += 1;
        if !matches!(item, Some(Ok(_))) {
            self.done = true;
        }
        item
    }
}

impl std::iter::FusedIterator for Iter<'_> {}

/// The merged list a [`Session::synchronize_with`](crate::Session::synchronize_with)
/// finalize closure may edit before it is sealed and written. It reads
/// like an [`Entries`] (through `Deref`) and offers its editing methods;
/// it lives for the closure's call only, and the library, not this value,
/// frees it.
pub struct EntriesMut<'a> {
    inner: ManuallyDrop<Entries>,
    _call: PhantomData<&'a mut ()>,
}

impl EntriesMut<'_> {
    /// Wraps the handle a finalize callback received.
    ///
    /// # Safety
    ///
    /// `raw` must be non-NULL and stay usable for the returned value's
    /// life; it is never freed through it.
    pub(crate) unsafe fn borrowed(raw: NonNull<ffi::scout_entries>) -> Self {
        EntriesMut {
            inner: ManuallyDrop::new(Entries { raw }),
            _call: PhantomData,
        }
    }

    /// As [`Entries::assign`].
    pub fn assign(&mut self, id: u32, value: &[u8]) -> Result<i64> {
        raw_assign(self.inner.raw, id, value)
    }

    /// As [`Entries::set`].
    pub fn set(&mut self, id: u32, seq: i64, value: &[u8]) -> Result<()> {
        raw_set(self.inner.raw, id, seq, value)
    }

    /// As [`Entries::remove`].
    pub fn remove(&mut self, id: u32) -> Result<bool> {
        raw_remove(self.inner.raw, id)
    }
}

impl Deref for EntriesMut<'_> {
    type Target = Entries;
    fn deref(&self) -> &Entries {
        &self.inner
    }
}

impl fmt::Debug for EntriesMut<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.inner, f)
    }
}

// The calls shared by Entries and EntriesMut, on a live handle.

fn raw_len(raw: NonNull<ffi::scout_entries>) -> Result<usize> {
    let mut n = 0usize;
    // SAFETY: raw is a live handle; n is a valid output.
    check(unsafe { ffi::scout_entries_count(raw.as_ptr(), &mut n) })?;
    Ok(n)
}

fn raw_assign(raw: NonNull<ffi::scout_entries>, id: u32, value: &[u8]) -> Result<i64> {
    let mut seq = 0i64;
    // SAFETY: raw is a live handle; value is valid for its length; seq is
    // a valid output.
    check(unsafe {
        ffi::scout_entries_assign(raw.as_ptr(), id, value.as_ptr(), value.len(), &mut seq)
    })?;
    Ok(seq)
}

fn raw_set(raw: NonNull<ffi::scout_entries>, id: u32, seq: i64, value: &[u8]) -> Result<()> {
    // SAFETY: raw is a live handle; value is valid for its length.
    check(unsafe { ffi::scout_entries_set(raw.as_ptr(), id, seq, value.as_ptr(), value.len()) })
}

fn raw_remove(raw: NonNull<ffi::scout_entries>, id: u32) -> Result<bool> {
    // SAFETY: raw is a live handle.
    found(
        unsafe { ffi::scout_entries_remove(raw.as_ptr(), id) },
        || (),
    )
    .map(|r| r.is_some())
}

fn raw_at(raw: NonNull<ffi::scout_entries>, index: usize) -> Result<Option<Entry>> {
    let (mut id, mut seq) = (0u32, 0i64);
    let mut value = [0u8; MAX_VALUE_SIZE];
    let mut len = value.len();
    // SAFETY: raw is a live handle; every output is valid, value has len
    // bytes and MAX_VALUE_SIZE always suffices.
    let status = unsafe {
        ffi::scout_entries_at(
            raw.as_ptr(),
            index,
            &mut id,
            &mut seq,
            value.as_mut_ptr(),
            &mut len,
        )
    };
    found(status, || Entry {
        id,
        seq,
        value: value[..len.min(MAX_VALUE_SIZE)].to_vec(),
    })
}

/// `Some` on success, `None` for `SCOUT_NOT_FOUND`, the error otherwise.
fn found<T>(status: ffi::scout_status, ok: impl FnOnce() -> T) -> Result<Option<T>> {
    match status {
        ffi::SCOUT_NOT_FOUND => Ok(None),
        status => check(status).map(|()| Some(ok())),
    }
}
