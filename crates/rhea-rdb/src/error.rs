//! The faults an RDB can have. Corruption always carries the byte offset (from the start
//! of the file) at which the reader noticed it.

/// An RDB read failure.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// The file does not start with `REDIS`, or the version is not four digits.
    #[error("Wrong signature trying to load DB from file")]
    BadMagic,
    /// A version Redis 7.0 refuses (0, or 11 and later). The text is Redis's.
    #[error("Can't handle RDB format version {0}")]
    UnsupportedVersion(u32),
    #[error("corrupt RDB at offset {offset}: {what}")]
    Corrupt { offset: u64, what: String },
    /// The CRC computed over the file (`expected`) differs from the stored trailer
    /// (`got`); the naming and text are Redis's (`rdbLoadRio`).
    #[error("Wrong RDB checksum expected: ({expected:#018x}) got: ({got:#018x})")]
    Checksum { expected: u64, got: u64 },
    /// Valid RDB content this crate does not handle (streams, modules).
    #[error("unsupported at offset {offset}: {what}")]
    Unsupported { offset: u64, what: String },
}

impl Error {
    /// The offset a corruption or unsupported-content error points at.
    pub fn offset(&self) -> Option<u64> {
        match self {
            Error::Corrupt { offset, .. } | Error::Unsupported { offset, .. } => Some(*offset),
            _ => None,
        }
    }
}

pub type Result<T> = std::result::Result<T, Error>;
