//! Newtypes for the numbers that cross layer boundaries, with ESE's names and sentinels.
//!
//! Each is a plain `Copy` value with a fixed on-disk width, so no `usize` ever reaches disk.

use std::fmt;

/// A page number within one database file (ESE's PGNO). Page 0 does not exist.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Pgno(pub u32);

impl Pgno {
    /// No page: the end of a prev/next chain, or an unset pointer (ESE's pgnoNull).
    pub const NULL: Pgno = Pgno(0);
    /// The largest page number a database can hold (ESE's pgnoMax).
    pub const MAX: Pgno = Pgno(0x7fff_ffff);

    /// Whether this is [`Pgno::NULL`].
    pub const fn is_null(self) -> bool {
        self.0 == 0
    }
}

impl fmt::Debug for Pgno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "pgno {}", self.0)
    }
}

impl fmt::Display for Pgno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A database's logical clock (ESE's DBTIME): bumped on every page change and stamped on the
/// page, so redo can tell whether a logged change is already on the page.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Debug)]
pub struct Dbtime(pub u64);

impl Dbtime {
    /// Never changed: the dbtime of a page that has not been written (ESE's dbtimeNil).
    pub const NIL: Dbtime = Dbtime(0);
    /// The first dbtime a new database hands out.
    pub const START: Dbtime = Dbtime(1);
    /// The largest representable dbtime; a database that reaches it can change no more.
    pub const MAX: Dbtime = Dbtime(u64::MAX);

    /// The next dbtime, or `None` when the clock is exhausted.
    pub const fn next(self) -> Option<Dbtime> {
        match self.0.checked_add(1) {
            Some(v) => Some(Dbtime(v)),
            None => None,
        }
    }
}

/// A position in the log (ESE's LGPOS): generation, then 512-byte sector within the file, then
/// byte offset within the sector. Positions are totally ordered in that order.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Lgpos {
    /// The log file generation, counting from 1.
    pub generation: u32,
    /// The sector within that generation's file.
    pub sector: u16,
    /// The byte within that sector.
    pub offset: u16,
}

impl Lgpos {
    /// No position: before the first record of the first generation (ESE's lgposMin).
    pub const MIN: Lgpos = Lgpos::new(0, 0, 0);
    /// Past every position (ESE's lgposMax).
    pub const MAX: Lgpos = Lgpos::new(u32::MAX, u16::MAX, u16::MAX);

    /// A position from its three parts.
    pub const fn new(generation: u32, sector: u16, offset: u16) -> Self {
        Self {
            generation,
            sector,
            offset,
        }
    }

    /// Packs the position into a `u64` whose integer order is the position order, so a position
    /// can live in an atomic.
    pub const fn to_u64(self) -> u64 {
        ((self.generation as u64) << 32) | ((self.sector as u64) << 16) | self.offset as u64
    }

    /// The inverse of [`Lgpos::to_u64`].
    pub const fn from_u64(v: u64) -> Self {
        Self::new((v >> 32) as u32, (v >> 16) as u16, v as u16)
    }
}

impl fmt::Debug for Lgpos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // ESE prints log positions as generation:sector:byte in hex.
        write!(
            f,
            "{:08X}:{:04X}:{:04X}",
            self.generation, self.sector, self.offset
        )
    }
}

impl fmt::Display for Lgpos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// A transaction's identity and its begin timestamp (ESE's TRX): transactions that begin later
/// get larger values, which is what snapshot visibility compares.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Debug)]
pub struct Trx(pub u64);

impl Trx {
    /// No transaction (ESE's trxMin): older than every real one.
    pub const MIN: Trx = Trx(0);
    /// Not yet committed, or infinitely far in the future (ESE's trxMax).
    pub const MAX: Trx = Trx(u64::MAX);
}

/// An attached database within an instance (ESE's IFMP, JET_DBID).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Debug)]
pub struct DbId(pub u32);

impl DbId {
    /// No database (ESE's JET_dbidNil).
    pub const NIL: DbId = DbId(u32::MAX);
    /// The temporary database, which every instance attaches first.
    pub const TEMP: DbId = DbId(0);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lgpos_orders_by_generation_then_sector_then_offset() {
        let cases = [
            (Lgpos::new(1, 0, 5), Lgpos::new(1, 1, 0)),
            (Lgpos::new(1, 9, 9), Lgpos::new(2, 0, 0)),
            (Lgpos::new(3, 4, 1), Lgpos::new(3, 4, 2)),
            (Lgpos::MIN, Lgpos::new(0, 0, 1)),
            (Lgpos::new(u32::MAX, u16::MAX, u16::MAX - 1), Lgpos::MAX),
        ];
        for (lo, hi) in cases {
            assert!(lo < hi, "{lo} < {hi}");
            assert!(lo.to_u64() < hi.to_u64(), "packed {lo} < {hi}");
            assert_eq!(Lgpos::from_u64(hi.to_u64()), hi);
        }
        assert_eq!(
            format!("{}", Lgpos::new(0x1a, 2, 0x30)),
            "0000001A:0002:0030"
        );
    }

    #[test]
    fn sentinels() {
        assert!(Pgno::NULL.is_null());
        assert!(!Pgno(1).is_null());
        assert_eq!(Dbtime::MAX.next(), None);
        assert_eq!(Dbtime::NIL.next(), Some(Dbtime::START));
        assert!(Trx::MIN < Trx(1) && Trx(1) < Trx::MAX);
        assert_ne!(DbId::NIL, DbId::TEMP);
    }
}
