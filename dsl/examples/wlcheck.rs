//! Loads workload files and prints their diagnostics (a development aid).
fn main() {
    for path in std::env::args().skip(1) {
        let bytes = std::fs::read(&path).unwrap_or_default();
        match dsl::load(&path, &bytes, &[]) {
            Ok(w) => println!("{path}: ok, {} points", w.points().len()),
            Err(d) => println!("{d}\n"),
        }
    }
}
