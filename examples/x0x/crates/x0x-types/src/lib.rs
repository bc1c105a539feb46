//! x0x types: the frame layout, shared by the `x0x` crate and the bindings.

/// Bytes before the payload: its length, a big-endian `u32`.
pub const HEADER_LEN: usize = 4;

/// Bytes after the payload: its Adler-32 checksum, a big-endian `u32`.
pub const TRAILER_LEN: usize = 4;

/// An Adler-32 checksum.
pub type Checksum = u32;
