//! OS scheduling priority of the request workers, relative to the password-hashing threads:
//! the workers run a few nice levels lower, so that the rarely-runnable hashing and commit
//! threads get a core when they have work (why: `docs/design-notes.md`). Raising one's own
//! nice value needs no privilege, unlike lowering another thread's.

/// The calling thread's nice value: `base + by` (Linux; elsewhere a no-op). Idempotent for
/// the same `base`, so calling it from a factory that may run more than once per thread is
/// safe. Failure is logged, never fatal: priority is an optimisation.
pub fn renice_current_thread(base: i32, by: i32) {
    if by == 0 {
        return;
    }
    #[cfg(target_os = "linux")]
    {
        use rustix::process::setpriority_process;
        use rustix::thread::gettid;
        // On Linux, PRIO_PROCESS with a thread id sets that thread alone.
        if let Err(e) = setpriority_process(Some(gettid()), (base + by).clamp(-20, 19)) {
            tracing::warn!(error = %e, "could not set the request workers' nice value");
        }
    }
}

/// Sets `base + by` as the nice value of this process's threads whose name starts with
/// `prefix` (Linux; elsewhere a no-op): for threads a library starts, on which no code of ours
/// runs. Returns how many it set.
pub fn renice_threads(prefix: &str, base: i32, by: i32) -> usize {
    if by == 0 {
        return 0;
    }
    #[cfg(target_os = "linux")]
    {
        use rustix::process::{Pid, setpriority_process};
        let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
            return 0;
        };
        let mut set = 0;
        for task in tasks.flatten() {
            let named = std::fs::read_to_string(task.path().join("comm"))
                .is_ok_and(|name| name.starts_with(prefix));
            let pid = task
                .file_name()
                .to_str()
                .and_then(|tid| tid.parse().ok())
                .and_then(Pid::from_raw);
            if let (true, Some(pid)) = (named, pid) {
                match setpriority_process(Some(pid), (base + by).clamp(-20, 19)) {
                    Ok(()) => set += 1,
                    Err(e) => tracing::warn!(error = %e, prefix, "could not renice a thread"),
                }
            }
        }
        set
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = (prefix, base);
        0
    }
}

/// The calling thread's nice value (0 where it cannot be read).
pub fn current_nice() -> i32 {
    #[cfg(target_os = "linux")]
    {
        rustix::process::getpriority_process(None).unwrap_or(0)
    }
    #[cfg(not(target_os = "linux"))]
    {
        0
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn lowers_only_the_calling_thread() {
        let before = current_nice();
        let inside = std::thread::spawn(move || {
            renice_current_thread(before, 3);
            current_nice()
        })
        .join()
        .expect("thread");
        assert_eq!(inside, (before + 3).min(19));
        assert_eq!(
            current_nice(),
            before,
            "the spawning thread keeps its priority"
        );
    }

    #[test]
    fn renices_the_threads_of_a_name() {
        let before = current_nice();
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let (ready_tx, ready) = std::sync::mpsc::channel::<()>();
        let named = std::thread::Builder::new()
            .name("renice-probe".into())
            .spawn(move || {
                // Named by now: a thread takes its name as it starts.
                ready_tx.send(()).expect("ready");
                rx.recv().expect("go");
                current_nice()
            })
            .expect("thread");
        ready.recv().expect("started");
        assert_eq!(renice_threads("renice-pro", before, 2), 1);
        tx.send(()).expect("send");
        assert_eq!(named.join().expect("join"), (before + 2).min(19));
        assert_eq!(current_nice(), before, "other threads keep theirs");
    }
}
