//! Integration tests of ramjet-bench: the output writers on a known result set, and a whole run
//! on tiny sizes.

mod end_to_end;
mod outputs;
