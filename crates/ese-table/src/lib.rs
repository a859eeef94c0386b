//! Tables: ESE's catalog (MSysObjects), record format, columns, long values and indexes.
//!
//! This crate will own the catalog of tables, columns and indexes; the record layout (fixed,
//! variable and tagged columns, multi-values, defaults); long values in each table's long-value
//! tree; key normalization for every column type; and the maintenance of secondary index
//! entries in the same transaction as the record.
//!
//! What exists now is the storage-free foundation the column and index work stands on:
//!
//! - [`coltyp`]: column types, column grbits, [`ColumnDef`] and JetAddColumn's validation
//!   rules, and [`ColumnSet`], a table's columns with the rules that span several of them;
//! - [`record`]: our record byte format (fixed, variable, tagged and multi-valued columns,
//!   explicit NULLs, separated long-value references) and the [`Record`] editor with
//!   JetSetColumn/JetRetrieveColumn semantics, defaults and the record size limit;
//! - [`key`]: key normalization for every type, byte-exact with ESE where ESE's rules need
//!   no Windows locale data, a documented collation for Unicode text, truncation at the key
//!   limit, and [`KeyBuilder`] with JetMakeKey's grbits and errors;
//! - [`index`]: key description strings (`"+col\0-col\0\0"`), index grbits, the checks
//!   that turn an index definition into a [`KeyLayout`], and the entries one record makes
//!   in an index (multi-value expansion, Ignore*Null, DisallowNull);
//! - [`error`]: the crate's one [`Error`] type (each variant names its JET code, returned by
//!   [`Error::jet_err`]) and the [`Warning`]s successful calls carry.
//!
//! The catalog, the long-value tree and index maintenance need the B-tree and transaction
//! layers and come later. It must not know about instances, sessions' handles or system
//! parameters: those belong to `ese-api`, which drives this crate.

pub mod coltyp;
pub mod error;
pub mod index;
pub mod key;
pub mod record;

pub use coltyp::{
    CodePage, ColumnClass, ColumnDef, ColumnGrbit, ColumnId, ColumnSet, ColumnSpec, ColumnType,
};
pub use error::{Error, Result, Warning};
pub use index::{IndexDef, IndexGrbit, KeyColumnName, index_entries, parse_key_description};
pub use key::{Key, KeyBuilder, KeyColumn, KeyLayout, MakeKeyGrbit, SegmentData};
pub use record::{LvRef, Record, RetrieveGrbit, SetGrbit, ValueRef};
