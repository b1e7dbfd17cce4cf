//! The file rules every command follows: outputs written atomically, never over an input
//! or a special file, owner and mode kept, locks on the real path; inputs `stat`ed before
//! they are opened; JSON read strictly (duplicate keys refused).

pub mod csv;
pub mod files;
pub mod strict_json;
