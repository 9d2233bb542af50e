//! The counting allocator, installed in this test binary as `ramjet-bench` installs it.

use std::hint::black_box;

use ramjet_bench::memory::{CountingAllocator, peak_during};

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

#[test]
fn the_peak_covers_what_was_live_at_once_not_what_was_allocated_in_all() {
    let mb = 1 << 20;
    // 16 MiB at once.
    let ((), at_once) = peak_during(|| {
        let v = black_box(vec![1u8; 16 * mb]);
        drop(v);
    });
    // 16 x 1 MiB, one after the other: the peak is about 1 MiB, not 16.
    let ((), in_turn) = peak_during(|| {
        for _ in 0..16 {
            drop(black_box(vec![1u8; mb]));
        }
    });
    let at_once = at_once.expect("the allocator is installed");
    let in_turn = in_turn.expect("the allocator is installed");
    assert!(at_once >= 16 * mb as u64, "{at_once}");
    assert!(in_turn >= mb as u64 && in_turn < 4 * mb as u64, "{in_turn}");
}
