//! `sim maps PID`: a running process's `/proc/PID/maps` on standard output, unchanged, to keep
//! as a layout that workloads map with `mmap maps "FILE"`.

use crate::cli::MapsArgs;
use crate::{Outcome, UserError};
use std::io::Write;
use std::path::Path;

pub fn run(args: MapsArgs) -> Result<Outcome, UserError> {
    let text = read(Path::new("/proc"), &args.pid)?;
    std::io::stdout().lock().write_all(&text)?;
    Ok(Outcome::Ok)
}

/// The maps text of `pid` under the procfs mounted at `proc`.
fn read(proc: &Path, pid: &str) -> Result<Vec<u8>, UserError> {
    if !proc.join("self/maps").is_file() {
        return Err(UserError(format!(
            "error: no procfs at {}: sim maps reads /proc/PID/maps, which Linux has and other systems do not",
            proc.display()
        )));
    }
    let path = proc.join(pid).join("maps");
    match std::fs::read(&path) {
        Ok(text) if text.is_empty() => Err(UserError(format!(
            "error: process {pid} has no address space (a kernel thread, or a process that is exiting)"
        ))),
        Ok(text) => Ok(text),
        // ESRCH: the process exited between the open and the read.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound || e.raw_os_error() == Some(3) => {
            Err(UserError(format!("error: no process with PID {pid}")))
        }
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => Err(UserError(format!(
            "error: cannot read {}: permission denied (another user's process needs the right to ptrace it: \
run as that user or as root)",
            path.display()
        ))),
        Err(e) => Err(UserError(format!("error: cannot read {}: {e}", path.display()))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(r: Result<Vec<u8>, UserError>) -> String {
        match r {
            Ok(_) => "read".to_string(),
            Err(UserError(m)) => m,
        }
    }

    #[test]
    fn without_procfs_the_error_says_so() {
        let dir = std::env::temp_dir().join(format!("sim-no-procfs-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let m = message(read(&dir, "1"));
        assert!(m.starts_with("error: no procfs at "), "{m}");
        assert!(m.ends_with("which Linux has and other systems do not"), "{m}");
    }

    #[test]
    fn a_missing_process_and_a_kernel_thread() {
        let dir = std::env::temp_dir().join(format!("sim-fake-procfs-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("self")).unwrap();
        std::fs::create_dir_all(dir.join("2")).unwrap();
        std::fs::write(dir.join("self/maps"), "1000-2000 rw-p 00000000 00:00 0 \n").unwrap();
        std::fs::write(dir.join("2/maps"), "").unwrap();
        assert_eq!(message(read(&dir, "77")), "error: no process with PID 77");
        assert!(message(read(&dir, "2")).contains("has no address space"));
        assert_eq!(message(read(&dir, "self")), "read");
    }
}
