//! CRC-64 "Jones" as Redis uses it for the RDB trailer: reflected, polynomial
//! 0xad93d23594c935a9 (0x95ac9329ac4bc9b5 reflected), init 0, no final xor.
//! `crc64(0, b"123456789") == 0xe9c6d914c4b8d9ca`.

const POLY_REFLECTED: u64 = 0x95ac_9329_ac4b_c9b5;

const TABLE: [u64; 256] = build_table();

const fn build_table() -> [u64; 256] {
    let mut table = [0u64; 256];
    let mut i = 0;
    while i < 256 {
        let mut crc = i as u64;
        let mut bit = 0;
        while bit < 8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ POLY_REFLECTED } else { crc >> 1 };
            bit += 1;
        }
        table[i] = crc;
        i += 1;
    }
    table
}

/// Continue a CRC over `data`, starting from `crc` (0 for a fresh checksum).
pub fn crc64(mut crc: u64, data: &[u8]) -> u64 {
    for &b in data {
        crc = TABLE[((crc ^ u64::from(b)) & 0xff) as usize] ^ (crc >> 8);
    }
    crc
}
