//! What Linux says about this thread's scheduling: the CPU it runs on and the time it has
//! spent waiting for one. On a machine shared with other work, a timed batch that another
//! program preempted is corrected by the wait (and the cold-lock rounds need two CPUs).
//! Elsewhere both are unknown and nothing is corrected.

/// The fields of a `/proc/thread-self` file after the command name, which is in parentheses
/// and may hold spaces.
fn proc_fields(file: &str) -> Option<Vec<String>> {
    let text = std::fs::read_to_string(format!("/proc/thread-self/{file}")).ok()?;
    let rest = if file == "stat" { text.rsplit_once(')')?.1 } else { &text };
    Some(rest.split_whitespace().map(str::to_string).collect())
}

/// The CPU this thread is running on (`stat`, field 39).
pub fn current_cpu() -> Option<i64> {
    proc_fields("stat")?.get(36)?.parse().ok()
}

/// Nanoseconds this thread has waited on a run queue so far (`schedstat`, field 2). It grows
/// when the thread is switched back in, so a preemption inside a timed window shows in a read
/// just after it.
pub fn run_delay_ns() -> Option<u64> {
    proc_fields("schedstat")?.get(1)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linux_tells_this_threads_cpu_and_run_queue_wait() {
        if cfg!(target_os = "linux") {
            let cpu = current_cpu().expect("a CPU number");
            assert!((0..65_536).contains(&cpu), "{cpu}");
            let a = run_delay_ns().expect("schedstat");
            std::thread::yield_now();
            assert!(run_delay_ns().expect("schedstat") >= a);
        }
    }
}
