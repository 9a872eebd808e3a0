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
}
