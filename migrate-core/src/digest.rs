//! The schema fingerprint: a leaf type, so that the history model can hold it without
//! depending on the schema module that computes it.

use std::fmt;
use std::str::FromStr;

use crate::Checksum;

/// The SHA-256 of a [`SchemaDescription`](crate::schema::SchemaDescription)'s canonical
/// text, written `sha256:<hex>`.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fingerprint([u8; 32]);

impl Fingerprint {
    /// The fingerprint whose digest is `digest`.
    pub(crate) const fn from_digest(digest: [u8; 32]) -> Fingerprint {
        Fingerprint(digest)
    }

    /// The raw 32-byte digest.
    pub const fn digest(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The same text form as a script checksum: an algorithm tag, then hex.
        Checksum::__embedded(self.0).fmt(f)
    }
}

impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Fingerprint({self})")
    }
}

impl FromStr for Fingerprint {
    type Err = crate::checksum::ParseChecksumError;

    fn from_str(text: &str) -> Result<Fingerprint, Self::Err> {
        Checksum::from_str(text).map(|c| Fingerprint(*c.digest()))
    }
}
