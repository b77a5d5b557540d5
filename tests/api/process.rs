//! The `evisa` binary run as another node beside a test app: same database, its own data
//! directory, address and settings.

use crate::helpers::*;

/// Held by the tests that run other server processes under load, one at a time: their figures
/// and deadlines are about the processes they start, not about each other.
pub(crate) async fn one_at_a_time() -> tokio::sync::MutexGuard<'static, ()> {
    static TURN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    TURN.lock().await
}

/// An `evisa serve` process, killed when dropped.
pub(crate) struct SecondProcess {
    child: std::process::Child,
    pub(crate) address: String,
    pub(crate) data_dir: tempfile::TempDir,
}

impl SecondProcess {
    /// Serves the test app's database with the default settings.
    pub(crate) async fn start(app: &TestApp) -> SecondProcess {
        SecondProcess::start_with(app, &[]).await
    }

    /// Serves the test app's database with settings added (or replaced) by `env`; returns once it
    /// answers `/ready`, or has exited. It binds port 0 and the port it got is read from its
    /// "listening" log line, so no other process can take the port in between.
    pub(crate) async fn start_with(app: &TestApp, env: &[(&str, &str)]) -> SecondProcess {
        let data_dir = tempfile::tempdir().unwrap();
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_evisa"));
        command
            .arg("serve")
            .env_clear()
            .env("EVISA_DATA_DIR", data_dir.path())
            .env("DATABASE_URL", &app.config.database_url)
            .env("EVISA_BIND", "127.0.0.1:0")
            .env("EVISA_JWT_SECRET", JWT_SECRET)
            .env("EVISA_JWT_ISSUER", &app.config.jwt_issuer)
            .env("EVISA_ADMIN_PASSWORD", ADMIN_PASSWORD)
            .env("RUST_LOG", "warn,evisa::cli=info")
            .env("EVISA_LOG_FORMAT", "json")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped());
        for (name, value) in env {
            command.env(name, value);
        }
        let mut child = command.spawn().unwrap();
        let port = listening_port(child.stderr.take().unwrap());
        // Its mail worker may send what the test's own server enqueued: read its mailbox too.
        app.add_mailbox(data_dir.path().join("mail"));
        let mut process = SecondProcess { child, address: String::new(), data_dir };
        let deadline = std::time::Instant::now() + crate::wait::BACKGROUND;
        while std::time::Instant::now() < deadline {
            // A process told to die at a fault may get there before it answers: the caller
            // reads how it ended.
            if process.child.try_wait().unwrap().is_some() {
                return process;
            }
            if let Ok(port) = port.try_recv() {
                process.address = format!("http://127.0.0.1:{port}");
            }
            if !process.address.is_empty()
                && reqwest::get(format!("{}/ready", process.address)).await.is_ok_and(|r| r.status().is_success())
            {
                return process;
            }
            actix_web::rt::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("the second server process did not become ready");
    }

    /// Sends the process SIGTERM, as a service manager stopping it would.
    pub(crate) fn terminate(&self) {
        let status = std::process::Command::new("kill").arg("-TERM").arg(self.child.id().to_string()).status();
        assert!(status.is_ok_and(|s| s.success()), "kill -TERM");
    }

    /// Waits up to `limit` for the process to exit by itself; `None` if it is still running.
    pub(crate) async fn exited_within(&mut self, limit: std::time::Duration) -> Option<std::process::ExitStatus> {
        let since = std::time::Instant::now();
        while since.elapsed() < limit {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Some(status);
            }
            actix_web::rt::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        None
    }
}

impl Drop for SecondProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The port a server process says it listens on, from its "listening" log event (JSON lines);
/// every other line of its log goes on to the test's own output.
fn listening_port(stderr: std::process::ChildStderr) -> std::sync::mpsc::Receiver<u16> {
    let (found, port) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stderr).lines().map_while(Result::ok) {
            let event: serde_json::Value = serde_json::from_str(&line).unwrap_or_default();
            match event["fields"]["port"].as_u64().filter(|_| event["fields"]["message"] == "listening") {
                Some(listening) => {
                    let _ = found.send(u16::try_from(listening).unwrap_or(0));
                }
                None => eprintln!("{line}"),
            }
        }
    });
    port
}
