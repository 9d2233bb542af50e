//! Peak heap memory of a piece of work, measured by a counting global allocator.
//!
//! The `ramjet-bench` binary installs [`CountingAllocator`] as its global allocator; library code
//! then asks for the peak reached while a closure ran ([`peak_during`]). In a binary that does not
//! install it (tests, criterion), nothing is counted and [`peak_during`] says so with `None`.
//!
//! What is counted: bytes requested from the allocator and not yet freed, by every thread. Memory
//! the process holds outside the heap (stacks, mapped files, a GPU driver's own allocations) is
//! not; for the CPU provers measured here the heap is where their memory goes.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);
static INSTALLED: AtomicBool = AtomicBool::new(false);

/// The system allocator, counting live bytes and their peak.
pub struct CountingAllocator;

// SAFETY: every call is forwarded to `System` unchanged; the counters are only arithmetic.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract, which `System` shares.
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            grew(layout.size());
        }
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as for `alloc`.
        let ptr = unsafe { System.alloc_zeroed(layout) };
        if !ptr.is_null() {
            grew(layout.size());
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was allocated by this allocator (that is, by `System`) with `layout`.
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: as for `dealloc` and `alloc`.
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            if new_size >= layout.size() {
                grew(new_size - layout.size());
            } else {
                LIVE.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
            }
        }
        new
    }
}

fn grew(bytes: usize) {
    INSTALLED.store(true, Ordering::Relaxed);
    let live = LIVE.fetch_add(bytes, Ordering::Relaxed) + bytes;
    PEAK.fetch_max(live, Ordering::Relaxed);
}

/// Runs `work` and returns its output with the peak heap bytes above what was live when it
/// started, or `None` when the counting allocator is not installed.
pub fn peak_during<T>(work: impl FnOnce() -> T) -> (T, Option<u64>) {
    let base = LIVE.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let out = work();
    let peak = PEAK.load(Ordering::Relaxed).saturating_sub(base);
    let installed = INSTALLED.load(Ordering::Relaxed);
    (out, installed.then_some(peak as u64))
}

/// Starts a nested measurement (a phase inside a larger piece of work): the peak restarts from
/// the bytes live now. Returns those bytes and the outer peak, to hand to [`end_nested`].
pub fn begin_nested() -> (usize, usize) {
    let live = LIVE.load(Ordering::Relaxed);
    (live, PEAK.swap(live, Ordering::Relaxed))
}

/// Ends a nested measurement begun by [`begin_nested`] (given its outer peak): returns the bytes
/// live now and the peak reached inside, and keeps the outer peak at least as high.
pub fn end_nested(outer_peak: usize) -> (usize, usize) {
    let live = LIVE.load(Ordering::Relaxed);
    let peak = PEAK.load(Ordering::Relaxed);
    PEAK.fetch_max(outer_peak.max(peak), Ordering::Relaxed);
    (live, peak)
}

/// Heap bytes live now, or `None` when the counting allocator is not installed.
pub fn live_bytes() -> Option<u64> {
    INSTALLED
        .load(Ordering::Relaxed)
        .then(|| LIVE.load(Ordering::Relaxed) as u64)
}
