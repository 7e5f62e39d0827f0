//! A stage of the sync pipeline: batches handed to worker threads (classification) and taken
//! back in the order they were sent, with a bounded number in flight so memory stays bounded
//! whatever the mailbox size. No I/O here; the caller fetches and stores.

use std::collections::BTreeMap;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::{Arc, Mutex};
use std::thread::Scope;

/// How many workers to run beside the thread that fetches and stores: one per other core,
/// at least one (so fetching, classifying and storing overlap even on one core), at most 4.
/// Not one per core: each classifying thread keeps its own regex caches (tens of MB), and on
/// two cores a second worker raised the peak memory of a 10,000-message first pass from
/// 134 to 155 MiB.
pub fn workers() -> usize {
    std::thread::available_parallelism()
        .map_or(1, |n| n.get().saturating_sub(1))
        .clamp(1, 4)
}

/// Hands the memory freed by a finished batch back to the system. glibc keeps what is freed
/// in each thread's arena for reuse, and over a long pass (batches made on one thread and
/// read on another, large temporaries of every size) the arenas come to hold far more than
/// is in use: the resident size would grow with the mailbox although what is held does not.
/// Called once per stored batch, a few hundred times per 100,000 messages: it costs little.
pub fn give_back() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only walks and releases the allocator's free lists; it takes the
    // allocator's own locks and touches no memory in use.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Worker threads mapping batches, in order.
pub struct Ordered<I, O> {
    to: Option<SyncSender<(usize, I)>>,
    from: Receiver<(usize, Option<O>)>,
    sent: usize,
    taken: usize,
    early: BTreeMap<usize, Option<O>>,
    workers: usize,
}

impl<I: Send, O: Send> Ordered<I, O> {
    /// Starts `workers` threads in `scope`, each running `f` on the batches it takes.
    pub fn start<'scope, 'env, F>(scope: &'scope Scope<'scope, 'env>, workers: usize, f: F) -> Self
    where
        F: Fn(I) -> O + Send + Sync + 'scope,
        I: 'scope,
        O: 'scope,
    {
        let workers = workers.max(1);
        let (to, inbox) = sync_channel::<(usize, I)>(workers);
        let (done, from) = sync_channel::<(usize, Option<O>)>(workers);
        let inbox = Arc::new(Mutex::new(inbox));
        let f = Arc::new(f);
        for _ in 0..workers {
            let inbox = inbox.clone();
            let done = done.clone();
            let f = f.clone();
            scope.spawn(move || loop {
                // The lock is held only to take the next batch, not while working on it.
                let next = inbox.lock().unwrap_or_else(|e| e.into_inner()).recv();
                let Ok((seq, batch)) = next else { break };
                match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(batch))) {
                    Ok(out) => {
                        if done.send((seq, Some(out))).is_err() {
                            break;
                        }
                    }
                    Err(panic) => {
                        // The taker stops at the gap; the scope re-raises the panic.
                        let _ = done.send((seq, None));
                        std::panic::resume_unwind(panic);
                    }
                }
            });
        }
        Ordered {
            to: Some(to),
            from,
            sent: 0,
            taken: 0,
            early: BTreeMap::new(),
            workers,
        }
    }

    /// Hands a batch on; false when the workers are gone (one panicked).
    pub fn send(&mut self, batch: I) -> bool {
        let Some(to) = &self.to else { return false };
        if to.send((self.sent, batch)).is_err() {
            return false;
        }
        self.sent += 1;
        true
    }

    /// Whether enough is in flight that the next result should be taken before sending more.
    pub fn full(&self) -> bool {
        self.sent - self.taken > self.workers
    }

    /// No more batches will be sent.
    pub fn close(&mut self) {
        self.to = None;
    }

    /// The next result in sending order (waiting for it); `None` when every batch sent was
    /// taken, or a worker panicked on this one.
    pub fn take(&mut self) -> Option<O> {
        if self.taken == self.sent {
            return None;
        }
        loop {
            if let Some(out) = self.early.remove(&self.taken) {
                self.taken += 1;
                return out;
            }
            let (seq, out) = self.from.recv().ok()?;
            self.early.insert(seq, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Whatever the number of workers and however long each batch takes, results come back
        /// once each, in the order sent, with never more than workers + 1 in flight.
        #[test]
        fn results_come_back_in_order(
            batches in proptest::collection::vec(0u64..300, 0..40),
            workers in 1usize..5,
        ) {
            let got = std::thread::scope(|scope| {
                let mut stage = Ordered::start(scope, workers, |micros: u64| {
                    std::thread::sleep(std::time::Duration::from_micros(micros));
                    micros * 2
                });
                let mut got = Vec::new();
                for b in &batches {
                    assert!(stage.send(*b));
                    while stage.full() {
                        got.push(stage.take().expect("a result"));
                    }
                    assert!(stage.sent - stage.taken <= workers);
                }
                stage.close();
                while let Some(out) = stage.take() {
                    got.push(out);
                }
                got
            });
            let expected: Vec<u64> = batches.iter().map(|b| b * 2).collect();
            prop_assert_eq!(got, expected);
        }
    }
}
