//! x0x core: length-prefixed frames with an Adler-32 checksum.

/// The crate version, as released (kept in step with `@x0x/core` and the `x0x` Python package).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

pub use x0x_types::{Checksum, HEADER_LEN, TRAILER_LEN};

/// Adler-32 checksum of `data`.
pub fn checksum(data: &[u8]) -> Checksum {
    const MOD: u32 = 65_521;
    let (mut a, mut b) = (1u32, 0u32);
    for &byte in data {
        a = (a + u32::from(byte)) % MOD;
        b = (b + a) % MOD;
    }
    (b << 16) | a
}

/// `[len: u32 BE][payload][checksum: u32 BE]`.
pub fn encode_frame(payload: &[u8]) -> Vec<u8> {
    let mut frame = Vec::with_capacity(HEADER_LEN + payload.len() + TRAILER_LEN);
    frame.extend_from_slice(&(payload.len() as u32).to_be_bytes());
    frame.extend_from_slice(payload);
    frame.extend_from_slice(&checksum(payload).to_be_bytes());
    frame
}

/// The payload of a frame made by [`encode_frame`], or `None` when it is truncated or corrupt.
pub fn decode_frame(frame: &[u8]) -> Option<&[u8]> {
    let len = u32::from_be_bytes(frame.get(..4)?.try_into().ok()?) as usize;
    let payload = frame.get(4..4 + len)?;
    let sum = u32::from_be_bytes(frame.get(4 + len..8 + len)?.try_into().ok()?);
    (sum == checksum(payload)).then_some(payload)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adler32_of_wikipedia() {
        assert_eq!(checksum(b"Wikipedia"), 0x11E6_0398);
    }

    #[test]
    fn frames_round_trip_and_detect_corruption() {
        let mut frame = encode_frame(b"hello");
        assert_eq!(decode_frame(&frame), Some(&b"hello"[..]));
        frame[5] ^= 1;
        assert_eq!(decode_frame(&frame), None);
    }
}
