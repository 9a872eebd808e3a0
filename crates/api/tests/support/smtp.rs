//! A real SMTP server for tests: aiosmtpd (PyPI), one per test, storing what it accepts in a
//! Maildir that the test reads.
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct SmtpServer {
    pub port: u16,
    maildir: tempfile::TempDir,
    child: Child,
}

/// A received message: its headers and its decoded text.
#[derive(Debug, Clone)]
pub struct Received {
    pub raw: String,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<String> {
        let head = self.raw.split("\r\n\r\n").next().unwrap_or_default();
        let prefix = format!("{}:", name.to_ascii_lowercase());
        // Unfold continuation lines first.
        let unfolded = head.replace("\r\n ", " ").replace("\r\n\t", " ");
        unfolded
            .lines()
            .find(|l| l.to_ascii_lowercase().starts_with(&prefix))
            .map(|l| l[prefix.len()..].trim().to_owned())
    }

    /// The body with quoted-printable soft breaks and escapes undone (good enough to search).
    pub fn text(&self) -> String {
        let joined = self.raw.replace("=\r\n", "");
        let bytes = joined.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'='
                && i + 2 < bytes.len()
                && let Ok(b) = u8::from_str_radix(&joined[i + 1..i + 3], 16)
            {
                out.push(b);
                i += 3;
                continue;
            }
            out.push(bytes[i]);
            i += 1;
        }
        String::from_utf8_lossy(&out).into_owned()
    }
}

impl SmtpServer {
    pub fn start() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        Self::start_on(port)
    }

    /// A server on a given port (e.g. again where one was stopped).
    pub fn start_on(port: u16) -> Self {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
        let script = format!("{root}/scripts/smtp-server.sh");
        let ok = Command::new("bash")
            .args([&script, "install"])
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "could not install the SMTP server ({script} install)");
        let python = Command::new("bash")
            .args([&script, "python"])
            .output()
            .expect("smtp-server.sh python");
        let python = String::from_utf8_lossy(&python.stdout).trim().to_owned();
        let maildir = tempfile::tempdir().unwrap();
        let child = Command::new(python)
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{port}"))
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(maildir.path().join("mail"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start aiosmtpd");
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "aiosmtpd did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        Self {
            port,
            maildir,
            child,
        }
    }

    fn new_dir(&self) -> PathBuf {
        self.maildir.path().join("mail").join("new")
    }

    pub fn messages(&self) -> Vec<Received> {
        let Ok(dir) = std::fs::read_dir(self.new_dir()) else {
            return vec![];
        };
        let mut files: Vec<_> = dir.flatten().map(|e| e.path()).collect();
        files.sort();
        files
            .into_iter()
            .filter_map(|p| std::fs::read(p).ok())
            .map(|b| Received {
                raw: String::from_utf8_lossy(&b)
                    .replace("\r\n", "\n")
                    .replace('\n', "\r\n"),
            })
            .collect()
    }

    /// Waits until `n` messages arrived (or panics after `secs`).
    pub async fn wait_for(&self, n: usize, secs: u64) -> Vec<Received> {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let got = self.messages();
            if got.len() >= n {
                return got;
            }
            assert!(
                Instant::now() < deadline,
                "{} of {n} mails arrived within {secs} s",
                got.len()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Stops accepting (the next sends fail to connect).
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        self.stop();
    }
}
