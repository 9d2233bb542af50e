//! Integration tests of ramjet-bench: the output writers on a known result set, runs with stand-in
//! device backends, and a whole run on tiny sizes.

mod devices;
mod end_to_end;
mod outputs;
