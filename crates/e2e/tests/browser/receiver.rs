//! A real webhook receiver for the browser tests: a small HTTP/1.1 server on a free loopback
//! port that records every request and answers 200 (at once, or after a hold). (After `crates/api/tests/api/receiver.rs`,
//! without actix: a test crate cannot import another's tests.)
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[derive(Debug, Clone)]
pub struct Received {
    pub id: String,
    pub timestamp: String,
    pub signature: String,
    pub body: String,
}

impl Received {
    pub fn event_type(&self) -> String {
        let v: serde_json::Value = serde_json::from_str(&self.body).unwrap();
        v["type"].as_str().unwrap().to_owned()
    }

    /// Whether one of the signatures is `secret`'s, computed as the Standard Webhooks
    /// specification says (independently of the server's code).
    pub fn signed_by(&self, secret: &str) -> bool {
        let key = STANDARD
            .decode(secret.strip_prefix("whsec_").unwrap())
            .unwrap();
        let mut mac = <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(&key).unwrap();
        mac.update(format!("{}.{}.{}", self.id, self.timestamp, self.body).as_bytes());
        let expected = format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()));
        self.signature.split(' ').any(|s| s == expected)
    }
}

type Log = Arc<Mutex<Vec<Received>>>;

pub struct Receiver {
    pub url: String,
    received: Log,
    hold: Arc<Mutex<Duration>>,
}

impl Receiver {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let received: Log = Arc::new(Mutex::new(Vec::new()));
        let hold = Arc::new(Mutex::new(Duration::ZERO));
        let (log, delay) = (received.clone(), hold.clone());
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (log, delay) = (log.clone(), delay.clone());
                tokio::spawn(async move {
                    let _ = serve(stream, log, delay).await;
                });
            }
        });
        Self {
            url: format!("http://127.0.0.1:{port}/hooks"),
            received,
            hold,
        }
    }

    /// Answers each request only after `d` from now on (a slow receiver).
    pub fn hold(&self, d: Duration) {
        *self.hold.lock().unwrap() = d;
    }

    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// Waits until `n` requests arrived (or panics after `secs`).
    pub async fn wait_for(&self, n: usize, secs: u64) -> Vec<Received> {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let got = self.received();
            if got.len() >= n {
                return got;
            }
            assert!(
                Instant::now() < deadline,
                "{} of {n} deliveries arrived within {secs} s",
                got.len()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// A URL on which nothing listens (a port just freed).
pub fn closed_url() -> String {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap();
    format!("http://127.0.0.1:{port}/hooks")
}

/// Answers each request of a (kept-alive) connection with 200, recording it.
async fn serve(mut stream: TcpStream, log: Log, hold: Arc<Mutex<Duration>>) -> std::io::Result<()> {
    let mut buf: Vec<u8> = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        let head_end = loop {
            if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            let n = stream.read(&mut chunk).await?;
            if n == 0 {
                return Ok(());
            }
            buf.extend_from_slice(&chunk[..n]);
        };
        let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
        let header = |name: &str| {
            head.lines()
                .skip(1)
                .filter_map(|l| l.split_once(':'))
                .find(|(k, _)| k.trim().eq_ignore_ascii_case(name))
                .map(|(_, v)| v.trim().to_owned())
                .unwrap_or_default()
        };
        let len: usize = header("content-length").parse().unwrap_or(0);
        while buf.len() < head_end + len {
            let n = stream.read(&mut chunk).await?;
            if n == 0 {
                return Ok(());
            }
            buf.extend_from_slice(&chunk[..n]);
        }
        let body = String::from_utf8_lossy(&buf[head_end..head_end + len]).into_owned();
        log.lock().unwrap().push(Received {
            id: header("webhook-id"),
            timestamp: header("webhook-timestamp"),
            signature: header("webhook-signature"),
            body,
        });
        buf.drain(..head_end + len);
        let delay = *hold.lock().unwrap();
        tokio::time::sleep(delay).await;
        stream
            .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
            .await?;
    }
}
