//! Typed column values: the JET column types and the decoding of stored bytes into them.
//!
//! Fixed-size types must have exactly their size; text is UTF-16LE for code page 1200 and
//! Windows-1252 otherwise; DateTime is an OLE-automation date (days since 1899-12-30 as an
//! IEEE double); GUIDs are kept in their stored (Windows) byte order and printed the Windows way.

use std::fmt;

use crate::error::{Error, Result};

/// A JET column type (`JET_coltyp`), as stored in the catalog.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ColumnType {
    /// 0: no type (a deleted column).
    Nil,
    /// 1: boolean, one byte.
    Bit,
    /// 2: unsigned 8-bit integer.
    UnsignedByte,
    /// 3: signed 16-bit integer.
    Short,
    /// 4: signed 32-bit integer.
    Long,
    /// 5: signed 64-bit integer, scaled by 10,000 by convention.
    Currency,
    /// 6: 32-bit float.
    IeeeSingle,
    /// 7: 64-bit float.
    IeeeDouble,
    /// 8: OLE-automation date (a 64-bit float).
    DateTime,
    /// 9: binary of up to 255 bytes.
    Binary,
    /// 10: text of up to 255 bytes.
    Text,
    /// 11: long binary.
    LongBinary,
    /// 12: long text.
    LongText,
    /// 13: obsolete SLV.
    Slv,
    /// 14: unsigned 32-bit integer.
    UnsignedLong,
    /// 15: signed 64-bit integer.
    LongLong,
    /// 16: GUID, 16 bytes in Windows byte order.
    Guid,
    /// 17: unsigned 16-bit integer.
    UnsignedShort,
    /// Any other value.
    Unknown(u32),
}

impl ColumnType {
    /// The type for a catalog `ColtypOrPgnoFDP` value.
    pub fn from_u32(v: u32) -> ColumnType {
        use ColumnType::*;
        match v {
            0 => Nil,
            1 => Bit,
            2 => UnsignedByte,
            3 => Short,
            4 => Long,
            5 => Currency,
            6 => IeeeSingle,
            7 => IeeeDouble,
            8 => DateTime,
            9 => Binary,
            10 => Text,
            11 => LongBinary,
            12 => LongText,
            13 => Slv,
            14 => UnsignedLong,
            15 => LongLong,
            16 => Guid,
            17 => UnsignedShort,
            v => Unknown(v),
        }
    }

    /// The stored size of a fixed-size type, `None` for variable-size types.
    pub fn fixed_size(self) -> Option<usize> {
        use ColumnType::*;
        match self {
            Bit | UnsignedByte => Some(1),
            Short | UnsignedShort => Some(2),
            Long | IeeeSingle | UnsignedLong => Some(4),
            Currency | IeeeDouble | DateTime | LongLong => Some(8),
            Guid => Some(16),
            _ => None,
        }
    }

    /// Whether values of this type are text.
    pub fn is_text(self) -> bool {
        matches!(self, ColumnType::Text | ColumnType::LongText)
    }

    /// The JET name of the type, without the `JET_coltyp` prefix.
    pub fn name(self) -> &'static str {
        use ColumnType::*;
        match self {
            Nil => "Nil",
            Bit => "Bit",
            UnsignedByte => "UnsignedByte",
            Short => "Short",
            Long => "Long",
            Currency => "Currency",
            IeeeSingle => "IEEESingle",
            IeeeDouble => "IEEEDouble",
            DateTime => "DateTime",
            Binary => "Binary",
            Text => "Text",
            LongBinary => "LongBinary",
            LongText => "LongText",
            Slv => "SLV",
            UnsignedLong => "UnsignedLong",
            LongLong => "LongLong",
            Guid => "GUID",
            UnsignedShort => "UnsignedShort",
            Unknown(_) => "Unknown",
        }
    }
}

/// A decoded column value.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// No value.
    Null,
    /// Bit.
    Bit(bool),
    /// UnsignedByte.
    UnsignedByte(u8),
    /// Short.
    Short(i16),
    /// Long.
    Long(i32),
    /// Currency (the raw 64-bit integer).
    Currency(i64),
    /// IEEESingle.
    Single(f32),
    /// IEEEDouble.
    Double(f64),
    /// DateTime as an OLE-automation date (days since 1899-12-30).
    DateTime(f64),
    /// UnsignedLong.
    UnsignedLong(u32),
    /// LongLong.
    LongLong(i64),
    /// UnsignedShort.
    UnsignedShort(u16),
    /// GUID bytes in stored (Windows) order.
    Guid([u8; 16]),
    /// Text or LongText.
    Text(String),
    /// Binary, LongBinary, or a type this reader does not interpret.
    Binary(Vec<u8>),
    /// The values of a multi-valued column, in order. A multi-valued column that holds a single
    /// value stores it like any other and decodes to that plain value.
    Multi(Vec<Value>),
}

const CP1252_HIGH: [u16; 32] = [
    0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039,
    0x0152, 0x008D, 0x017D, 0x008F, 0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
    0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
];

/// Decode Windows-1252 bytes.
pub fn decode_cp1252(b: &[u8]) -> String {
    b.iter()
        .map(|&c| match c {
            0x80..=0x9f => char::from_u32(u32::from(CP1252_HIGH[usize::from(c - 0x80)]))
                .unwrap_or(char::REPLACEMENT_CHARACTER),
            c => char::from(c),
        })
        .collect()
}

/// Decode UTF-16LE bytes; unpaired surrogates become U+FFFD.
pub fn decode_utf16le(b: &[u8]) -> Result<String> {
    if b.len() % 2 != 0 {
        return Err(Error::corrupt(format!(
            "UTF-16 text of odd length {}",
            b.len()
        )));
    }
    let units: Vec<u16> = b
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    Ok(String::from_utf16_lossy(&units))
}

fn exact<const N: usize>(b: &[u8], t: ColumnType) -> Result<[u8; N]> {
    b.try_into().map_err(|_| {
        Error::corrupt(format!(
            "{} value of {} bytes, expected {N}",
            t.name(),
            b.len()
        ))
    })
}

impl Value {
    /// Decode the stored bytes of one value of type `t` (text in code page `codepage`).
    pub fn decode(t: ColumnType, codepage: u32, b: &[u8]) -> Result<Value> {
        use ColumnType as T;
        Ok(match t {
            T::Bit => Value::Bit(exact::<1>(b, t)?[0] != 0),
            T::UnsignedByte => Value::UnsignedByte(exact::<1>(b, t)?[0]),
            T::Short => Value::Short(i16::from_le_bytes(exact(b, t)?)),
            T::Long => Value::Long(i32::from_le_bytes(exact(b, t)?)),
            T::Currency => Value::Currency(i64::from_le_bytes(exact(b, t)?)),
            T::IeeeSingle => Value::Single(f32::from_le_bytes(exact(b, t)?)),
            T::IeeeDouble => Value::Double(f64::from_le_bytes(exact(b, t)?)),
            T::DateTime => Value::DateTime(f64::from_le_bytes(exact(b, t)?)),
            T::UnsignedLong => Value::UnsignedLong(u32::from_le_bytes(exact(b, t)?)),
            T::LongLong => Value::LongLong(i64::from_le_bytes(exact(b, t)?)),
            T::UnsignedShort => Value::UnsignedShort(u16::from_le_bytes(exact(b, t)?)),
            T::Guid => Value::Guid(exact(b, t)?),
            T::Text | T::LongText => {
                if codepage == 1200 {
                    Value::Text(decode_utf16le(b)?)
                } else {
                    Value::Text(decode_cp1252(b))
                }
            }
            _ => Value::Binary(b.to_vec()),
        })
    }

    /// Whether this is [`Value::Null`].
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// The value as a signed integer, for the integer types.
    pub fn as_i64(&self) -> Option<i64> {
        Some(match self {
            Value::Bit(b) => i64::from(*b),
            Value::UnsignedByte(v) => i64::from(*v),
            Value::Short(v) => i64::from(*v),
            Value::Long(v) => i64::from(*v),
            Value::Currency(v) | Value::LongLong(v) => *v,
            Value::UnsignedLong(v) => i64::from(*v),
            Value::UnsignedShort(v) => i64::from(*v),
            _ => return None,
        })
    }

    /// The stored 64 bits as a FILETIME (100 ns ticks since 1601), for the 8-byte types some
    /// applications use for FILETIMEs: LongLong, Currency, and DateTime columns whose bytes are
    /// really a FILETIME (Windows' UAL does this). Format it with [`format_filetime`].
    pub fn as_filetime(&self) -> Option<i64> {
        match self {
            Value::DateTime(d) => Some(d.to_bits() as i64),
            Value::LongLong(v) | Value::Currency(v) => Some(*v),
            _ => None,
        }
    }

    /// The value as text, for text values.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Text(s) => Some(s),
            _ => None,
        }
    }

    /// The value as bytes, for binary values.
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            Value::Binary(b) => Some(b),
            _ => None,
        }
    }
}

/// Format 16 stored GUID bytes the Windows way: `{xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}`.
pub fn format_guid(g: &[u8; 16]) -> String {
    let d1 = u32::from_le_bytes([g[0], g[1], g[2], g[3]]);
    let d2 = u16::from_le_bytes([g[4], g[5]]);
    let d3 = u16::from_le_bytes([g[6], g[7]]);
    format!(
        "{{{d1:08x}-{d2:04x}-{d3:04x}-{:02x}{:02x}-{:02x}{:02x}{:02x}{:02x}{:02x}{:02x}}}",
        g[8], g[9], g[10], g[11], g[12], g[13], g[14], g[15]
    )
}

/// The civil date (year, month, day) of a count of days since 1970-01-01.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Format an OLE-automation date as `YYYY-MM-DDTHH:MM:SSZ` (to the nearest second). OLE dates
/// before 1899-12-30 count whole days backwards but the time of day forwards.
pub fn format_ole_date(v: f64) -> String {
    if !v.is_finite() || v.abs() > 3.0e6 {
        return format!("{v}");
    }
    let days = v.trunc();
    let frac = (v - days).abs();
    let mut secs = (frac * 86_400.0).round() as i64;
    let mut day = days as i64;
    if secs >= 86_400 {
        secs -= 86_400;
        day += if v < 0.0 { -1 } else { 1 };
    }
    // 1899-12-30 is 25,569 days before 1970-01-01.
    let (y, m, d) = civil_from_days(day - 25_569);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// Format a FILETIME (100 ns ticks since 1601-01-01 UTC) as `YYYY-MM-DDTHH:MM:SSZ`.
pub fn format_filetime(ticks: i64) -> String {
    let secs = ticks.div_euclid(10_000_000) - 11_644_473_600;
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    let s = secs.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => f.write_str(""),
            Value::Bit(b) => write!(f, "{b}"),
            Value::UnsignedByte(v) => write!(f, "{v}"),
            Value::Short(v) => write!(f, "{v}"),
            Value::Long(v) => write!(f, "{v}"),
            Value::Currency(v) => write!(f, "{v}"),
            Value::Single(v) => write!(f, "{v}"),
            Value::Double(v) => write!(f, "{v}"),
            Value::DateTime(v) => f.write_str(&format_ole_date(*v)),
            Value::UnsignedLong(v) => write!(f, "{v}"),
            Value::LongLong(v) => write!(f, "{v}"),
            Value::UnsignedShort(v) => write!(f, "{v}"),
            Value::Guid(g) => f.write_str(&format_guid(g)),
            Value::Text(s) => f.write_str(s),
            Value::Binary(b) => f.write_str(&hex(b)),
            Value::Multi(vs) => {
                f.write_str("[")?;
                for (i, v) in vs.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{v}")?;
                }
                f.write_str("]")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ole_dates() {
        assert_eq!(format_ole_date(36220.0), "1999-03-01T00:00:00Z");
        assert_eq!(format_ole_date(-205470.0), "1337-06-09T00:00:00Z");
        assert_eq!(format_ole_date(0.5), "1899-12-30T12:00:00Z");
    }

    #[test]
    fn guid_and_text() {
        let g = [
            0xf1, 0x0a, 0x36, 0x3f, 0x66, 0x67, 0xdc, 0x46, 0x9a, 0xf2, 0x0d, 0xac, 0xf2, 0x95,
            0xc2, 0xa1,
        ];
        assert_eq!(format_guid(&g), "{3f360af1-6766-46dc-9af2-0dacf295c2a1}");
        assert_eq!(decode_cp1252(&[0x80, b'a', 0xe9]), "\u{20ac}a\u{e9}");
        assert!(decode_utf16le(&[1]).is_err());
        assert!(Value::decode(ColumnType::Long, 0, &[1, 2]).is_err());
    }
}
