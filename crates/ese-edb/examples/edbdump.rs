//! Print the header, the catalog and the rows of an ESE database as text.
//!
//! `cargo run -p ese-edb --example edbdump -- FILE [TABLE]` prints the header, every table
//! with its columns and indexes, then the rows of TABLE (or of every table, with `--all`).

use std::io::{BufWriter, Write};
use std::process::ExitCode;

use ese_edb::{Database, Storage, Value};

fn show(v: &Value) -> String {
    match v {
        Value::Null => "NULL".to_string(),
        Value::Text(s) => format!("{s:?}"),
        v => v.to_string(),
    }
}

fn run(path: &str, which: Option<&str>) -> Result<(), Box<dyn std::error::Error>> {
    let db = Database::open(path)?;
    let stdout = std::io::stdout();
    let mut w = BufWriter::new(stdout.lock());
    let h = db.header();
    writeln!(
        w,
        "file {path}: format {:#x}/{:#x} (update-minor {}), page size {}, state {:?}, {} pages",
        h.format_version,
        h.format_revision,
        h.update_minor,
        h.page_size,
        h.state,
        db.page_count()
    )?;
    writeln!(
        w,
        "created {} as {:#x}/{:#x}; OS {}.{}.{}; logs required {}..{}; shadow header identical: {}",
        h.created,
        h.created_as.0,
        h.created_as.1,
        h.os_version.0,
        h.os_version.1,
        h.os_version.2,
        h.gen_required.0,
        h.gen_required.1,
        h.shadow_matches
    )?;
    match db.check_pages() {
        Ok(check) => writeln!(
            w,
            "{} in-use pages in {} trees verified, {} corrected bits",
            check.pages.len(),
            check.trees,
            check.corrections.len()
        )?,
        Err(e) => writeln!(w, "page check failed: {e}")?,
    }
    for t in db.tables() {
        writeln!(
            w,
            "table {} (objid {}, fdp {}, lv {:?}, template {:?}): {} columns, {} indexes",
            t.name,
            t.objid,
            t.fdp,
            t.lv_fdp,
            t.template_table,
            t.columns.len(),
            t.indexes.len()
        )?;
        for c in t.columns.iter().take(40) {
            let storage = match c.storage() {
                Storage::Fixed => "fixed",
                Storage::Variable => "variable",
                Storage::Tagged => "tagged",
            };
            writeln!(
                w,
                "  column {:>5} {:<24} {:<13} {storage:<8} max {} cp {} flags {:#x}{}",
                c.id,
                c.name,
                c.coltyp.name(),
                c.max_size,
                c.codepage,
                c.flags,
                if c.default_value.is_some() {
                    " default"
                } else {
                    ""
                }
            )?;
        }
        if t.columns.len() > 40 {
            writeln!(w, "  ... {} more columns", t.columns.len() - 40)?;
        }
        for i in &t.indexes {
            let key: Vec<String> = i
                .key
                .iter()
                .map(|k| format!("{}{}", if k.is_descending { "-" } else { "+" }, k.column_id))
                .collect();
            writeln!(
                w,
                "  index {} (fdp {}) key {}",
                i.name,
                i.fdp,
                key.join(" ")
            )?;
        }
    }
    let all = which == Some("--all");
    for t in db.tables() {
        if !all && which != Some(t.name.as_str()) {
            continue;
        }
        writeln!(w, "rows of {}:", t.name)?;
        let mut rows = db.rows(t)?;
        for row in rows.by_ref() {
            let row = row?;
            let cells: Vec<String> = row
                .iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(n, v)| format!("{n}={}", show(v)))
                .collect();
            writeln!(w, "  {}", cells.join(" | "))?;
        }
        writeln!(w, "  stats {:?}", rows.stats())?;
    }
    w.flush()?;
    if let Some(name) = which.filter(|_| !all) {
        db.table(name)?;
    }
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(path) = args.first() else {
        eprintln!("usage: edbdump FILE [TABLE | --all]");
        return ExitCode::from(2);
    };
    match run(path, args.get(1).map(String::as_str)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("edbdump: {e}");
            ExitCode::FAILURE
        }
    }
}
