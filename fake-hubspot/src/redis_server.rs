//! A real `redis-server` on a free loopback port, for the tests and benchmarks of the shared
//! rate-limit budget: started, stopped (to test what the client does without it) and started
//! again on the same port, and killed when dropped.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A `redis-server` process serving on 127.0.0.1, with nothing saved to disk.
pub struct RedisServer {
    port: u16,
    child: Option<Child>,
}

/// How long a starting server may take to answer.
const READY_WITHIN: Duration = Duration::from_secs(10);

impl RedisServer {
    /// Starts a server on a free port.
    ///
    /// # Panics
    /// When `redis-server` is not installed (Debian's package `redis-server`, which `cargo xtask
    /// test` installs), or does not answer within ten seconds: a test that needs it fails rather
    /// than pass without it.
    pub fn start() -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free loopback port")
            .port();
        let mut server = Self { port, child: None };
        server.restart();
        server
    }

    /// `redis://127.0.0.1:<port>/`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// Stops the server (SIGKILL: as a crash would), keeping its port for [`restart`](Self::restart).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server again on the same port, empty, and waits until it answers.
    pub fn restart(&mut self) {
        self.stop();
        let child = Command::new("redis-server")
            .args(["--bind", "127.0.0.1", "--port"])
            .arg(self.port.to_string())
            .args([
                "--save",
                "",
                "--appendonly",
                "no",
                "--protected-mode",
                "yes",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|error| {
                panic!(
                    "redis-server cannot be started ({error}): install Debian's redis-server \
                     package, as `cargo xtask test` does"
                )
            });
        self.child = Some(child);
        let started = Instant::now();
        while self.command(&["PING"]).as_deref() != Some("+PONG") {
            assert!(
                started.elapsed() < READY_WITHIN,
                "redis-server on port {} did not answer within {READY_WITHIN:?}",
                self.port
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Sends one command and returns the first line of the answer (`+PONG`, `:3`, ...), or
    /// `None` when the server does not answer.
    pub fn command(&self, words: &[&str]) -> Option<String> {
        let address = SocketAddr::from(([127, 0, 0, 1], self.port));
        let mut stream = TcpStream::connect_timeout(&address, Duration::from_secs(1)).ok()?;
        stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
        let mut request = format!("*{}\r\n", words.len());
        for word in words {
            request.push_str(&format!("${}\r\n{word}\r\n", word.len()));
        }
        stream.write_all(request.as_bytes()).ok()?;
        let mut answer = Vec::new();
        let mut byte = [0; 1];
        while !answer.ends_with(b"\r\n") {
            stream.read_exact(&mut byte).ok()?;
            answer.push(byte[0]);
        }
        answer.truncate(answer.len() - 2);
        String::from_utf8(answer).ok()
    }

    /// How many keys the server holds (`DBSIZE`): a budget in use holds some, for a window
    /// after its last request.
    pub fn keys(&self) -> u64 {
        self.command(&["DBSIZE"])
            .and_then(|answer| answer.strip_prefix(':')?.parse().ok())
            .unwrap_or_default()
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
    }
}
