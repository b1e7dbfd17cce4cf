//! The one CSV reader: every table smpmatch reads (catalog imports, fading follow-ups, the
//! card's reference values) goes through the `csv` crate configured here, so quoting, a
//! UTF-8 byte-order mark, blank lines and spaces around fields are handled alike.

/// A reader over `bytes` (a leading UTF-8 byte-order mark is skipped): the first record is
/// the header, fields are trimmed, rows may differ in length (each caller checks its
/// columns and names the row).
pub fn reader(bytes: &[u8]) -> csv::Reader<&[u8]> {
    let bytes = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes);
    csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(true)
        .from_reader(bytes)
}

/// The line a record starts on (1 is the header), for messages.
pub fn line(rec: &csv::StringRecord) -> u64 {
    rec.position().map_or(0, csv::Position::line)
}
