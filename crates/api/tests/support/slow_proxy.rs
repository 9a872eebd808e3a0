//! A TCP proxy in front of DynamoDB Local that can hold back one kind of call: the answers to
//! it (the call is applied, the caller hears nothing in time) or the calls themselves (they
//! reach the engine late, after the caller gave up). Everything else passes at once.
//!
//! The SDK speaks HTTP/1.1 without pipelining: on a connection, a request is sent only after
//! the previous answer was read, so an answer belongs to the last request seen on its
//! connection. The operation is in the `X-Amz-Target` header.
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Hold {
    /// Pass everything at once.
    Nothing = 0,
    /// Forward the call at once, its answer after the delay.
    Answers = 1,
    /// Forward the call after the delay.
    Calls = 2,
}

pub struct SlowProxy {
    pub endpoint: String,
    hold: Arc<AtomicU8>,
    /// Calls seen that match the target, held or not.
    seen: Arc<AtomicUsize>,
}

impl SlowProxy {
    /// Proxies `upstream` (`http://host:port`), holding calls whose target contains `operation`
    /// (e.g. `TransactWriteItems`) for `delay` when told to.
    pub async fn start(upstream: &str, operation: &str, delay: Duration) -> Self {
        let target = format!("DynamoDB_20120810.{operation}").into_bytes();
        Self::start_matching(upstream, target, delay).await
    }

    /// Proxies any HTTP/1.1 upstream, holding the calls whose bytes contain `target` (e.g.
    /// `/confirm HTTP/1.1` for a payment provider's confirmations).
    pub async fn start_matching(upstream: &str, target: Vec<u8>, delay: Duration) -> Self {
        let upstream = upstream
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_owned();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let hold = Arc::new(AtomicU8::new(Hold::Nothing as u8));
        let seen = Arc::new(AtomicUsize::new(0));
        let (shared, counted) = (hold.clone(), seen.clone());
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let Ok(server) = TcpStream::connect(&upstream).await else {
                    continue;
                };
                let matched = Matched {
                    target: target.clone(),
                    hold: shared.clone(),
                    seen: counted.clone(),
                };
                tokio::spawn(relay(client, server, matched, delay));
            }
        });
        Self {
            endpoint,
            hold,
            seen,
        }
    }

    /// Waits until `n` calls matching the target have reached the proxy (a held call is
    /// forwarded, or its delay begins, right after); panics after `within`.
    pub async fn wait_seen(&self, n: usize, within: Duration) {
        let deadline = std::time::Instant::now() + within;
        while self.seen.load(Ordering::SeqCst) < n {
            assert!(std::time::Instant::now() < deadline, "the call never came");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    pub fn hold(&self, what: Hold) {
        self.hold.store(what as u8, Ordering::SeqCst);
    }
}

/// What a connection looks for, and what it reports.
struct Matched {
    target: Vec<u8>,
    hold: Arc<AtomicU8>,
    seen: Arc<AtomicUsize>,
}

async fn relay(client: TcpStream, server: TcpStream, matched: Matched, delay: Duration) {
    let Matched { target, hold, seen } = matched;
    let (mut client_rx, mut client_tx) = client.into_split();
    let (mut server_rx, mut server_tx) = server.into_split();
    // Set when a held call went up this connection: its answer is the next one down.
    let held_answer = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let up_flag = held_answer.clone();
    let up = async move {
        let mut buf = vec![0u8; 64 * 1024];
        // The end of the previous read, so a header split between two reads is still seen.
        let mut tail: Vec<u8> = Vec::new();
        loop {
            let n = match client_rx.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            let mut window = std::mem::take(&mut tail);
            window.extend_from_slice(&buf[..n]);
            let is_target = window.windows(target.len()).any(|w| w == target.as_slice());
            // One byte short of the target: a target seen once is not seen again.
            tail = window[window.len().saturating_sub(target.len() - 1)..].to_vec();
            if is_target {
                seen.fetch_add(1, Ordering::SeqCst);
                match hold.load(Ordering::SeqCst) {
                    x if x == Hold::Answers as u8 => up_flag.store(true, Ordering::SeqCst),
                    x if x == Hold::Calls as u8 => tokio::time::sleep(delay).await,
                    _ => {}
                }
            }
            if server_tx.write_all(&buf[..n]).await.is_err() {
                break;
            }
        }
        // Keep the engine's side open: a held call must still arrive and be answered.
        tokio::time::sleep(delay).await;
    };
    let down = async move {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = match server_rx.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            if held_answer.swap(false, Ordering::SeqCst) {
                tokio::time::sleep(delay).await;
            }
            if client_tx.write_all(&buf[..n]).await.is_err() {
                break;
            }
        }
    };
    tokio::join!(up, down);
}
