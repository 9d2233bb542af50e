//! Integration tests of ramjet-accel: the CPU backend against the conformance kit, the kit against
//! deliberately wrong backends, the dispatcher's routing, fallback, audit and metrics, and
//! known-answer vectors.

mod conformance;
mod dispatch;
mod known_answers;
mod test_backends;
