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
    /// answers `/ready`, or has exited.
    pub(crate) async fn start_with(app: &TestApp, env: &[(&str, &str)]) -> SecondProcess {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let data_dir = tempfile::tempdir().unwrap();
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_evisa"));
        command
            .arg("serve")
            .env_clear()
            .env("EVISA_DATA_DIR", data_dir.path())
            .env("DATABASE_URL", &app.config.database_url)
            .env("EVISA_BIND", format!("127.0.0.1:{port}"))
            .env("EVISA_JWT_SECRET", JWT_SECRET)
            .env("EVISA_JWT_ISSUER", &app.config.jwt_issuer)
            .env("EVISA_ADMIN_PASSWORD", ADMIN_PASSWORD)
            .env("RUST_LOG", "warn")
            .stdout(std::process::Stdio::null());
        for (name, value) in env {
            command.env(name, value);
        }
        let child = command.spawn().unwrap();
        // Its mail worker may send what the test's own server enqueued: read its mailbox too.
        app.add_mailbox(data_dir.path().join("mail"));
        let mut process = SecondProcess { child, address: format!("http://127.0.0.1:{port}"), data_dir };
        for _ in 0..300 {
            if reqwest::get(format!("{}/ready", process.address)).await.is_ok_and(|r| r.status().is_success()) {
                return process;
            }
            // A process told to die at a fault may get there before it answers: the caller
            // reads how it ended.
            if process.child.try_wait().unwrap().is_some() {
                return process;
            }
            actix_web::rt::time::sleep(std::time::Duration::from_millis(100)).await;
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
