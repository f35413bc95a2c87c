//! Paging through a listing.

/// A page of a listing: at most `limit` rows after skipping `offset`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    /// How many rows at most.
    pub limit: u32,
    /// How many rows to skip.
    pub offset: u32,
}

impl Page {
    /// The first `limit` rows.
    pub const fn first(limit: u32) -> Page {
        Page { limit, offset: 0 }
    }

    /// The page after this one.
    pub const fn next(self) -> Page {
        Page {
            limit: self.limit,
            offset: self.offset + self.limit,
        }
    }
}
