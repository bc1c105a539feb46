//! C ABI of x0x for the Node.js addon (napi-rs wraps these in a real build).

/// Adler-32 of `len` bytes at `data`.
///
/// # Safety
/// `data` must point to `len` readable bytes (or be null with `len == 0`).
#[no_mangle]
pub unsafe extern "C" fn x0x_checksum(data: *const u8, len: usize) -> u32 {
    if data.is_null() {
        return x0x::checksum(&[]);
    }
    x0x::checksum(std::slice::from_raw_parts(data, len))
}
