//! formats (in progress)
