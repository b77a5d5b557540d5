//! A real SMTP server on loopback for the tests: aiosmtpd (PyPI) storing what it receives in a
//! maildir, and a reader that decodes those messages with Python's e-mail package.

use serde_json::Value;
use std::process::{Child, Command, Stdio};

/// An SMTP server that stores every message it accepts.
pub struct SmtpSink {
    child: Option<Child>,
    /// Its port on 127.0.0.1.
    pub port: u16,
    maildir: tempfile::TempDir,
}

/// A free port on loopback (nothing listens on it once this returns).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Whether aiosmtpd is installed; in CI it must be.
pub fn available() -> bool {
    let found = Command::new("python3").args(["-c", "import aiosmtpd"]).status().is_ok_and(|s| s.success());
    if !found {
        assert!(std::env::var("CI").is_err(), "CI must install aiosmtpd (pip install aiosmtpd)");
        eprintln!("aiosmtpd is not installed: SMTP test skipped outside CI");
    }
    found
}

impl SmtpSink {
    /// The maildir the server stores what it receives in.
    pub fn mailbox(&self) -> std::path::PathBuf {
        self.maildir.path().join("box")
    }

    /// A sink for `port`, not yet listening.
    pub fn new(port: u16) -> SmtpSink {
        SmtpSink { child: None, port, maildir: tempfile::tempdir().unwrap() }
    }

    /// Starts listening and waits until it accepts connections.
    pub async fn start(&mut self) {
        let child = Command::new("python3")
            .args([
                "-m",
                "aiosmtpd",
                "-n",
                "-l",
                &format!("127.0.0.1:{}", self.port),
                "-c",
                "aiosmtpd.handlers.Mailbox",
            ])
            .arg(self.maildir.path().join("box"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("aiosmtpd starts");
        self.child = Some(child);
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return;
            }
            actix_web::rt::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("the SMTP server did not start");
    }

    /// Stops listening (received messages are kept).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Every message received: `{to, subject, message_id, text, attachments: [names]}`.
    pub fn messages(&self) -> Vec<Value> {
        const READER: &str = r#"
import email, email.policy, json, mailbox, sys
out = []
try:
    box = mailbox.Maildir(sys.argv[1], create=False)
    keys = list(box.keys())
except Exception:
    keys = []
for key in keys:
    msg = email.message_from_bytes(box.get_bytes(key), policy=email.policy.default)
    text = msg.get_body(preferencelist=("plain",))
    html = msg.get_body(preferencelist=("html",))
    out.append({"to": str(msg["To"]), "subject": str(msg["Subject"]), "message_id": str(msg["Message-ID"]),
                "text": text.get_content() if text else "", "html": html.get_content() if html else "",
                "attachments": [part.get_filename() for part in msg.iter_attachments()],
                "attachment_sizes": [len(part.get_content()) for part in msg.iter_attachments()]})
print(json.dumps(out))
"#;
        let output =
            Command::new("python3").args(["-c", READER]).arg(self.maildir.path().join("box")).output().unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        serde_json::from_slice(&output.stdout).unwrap()
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.stop();
    }
}
