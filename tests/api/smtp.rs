//! A real SMTP server on loopback for the tests: aiosmtpd (PyPI) storing what it receives in a
//! maildir, and a reader that decodes those messages with Python's e-mail package.

use crate::servers::spawn_reporting_port;
use serde_json::Value;
use std::process::{Child, Command};

/// An SMTP server that stores every message it accepts.
pub struct SmtpSink {
    child: Option<Child>,
    /// Its port on 127.0.0.1.
    pub port: u16,
    maildir: tempfile::TempDir,
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

/// aiosmtpd's SMTP server storing into a maildir (argument 2), on the port given (argument 1; 0
/// for one it picks), saying where it listens.
const SERVER: &str = r#"
import asyncio, sys
from aiosmtpd.handlers import Mailbox
from aiosmtpd.smtp import SMTP
async def main():
    handler = Mailbox(sys.argv[2])
    server = await asyncio.get_running_loop().create_server(
        lambda: SMTP(handler), "127.0.0.1", int(sys.argv[1]), reuse_address=True)
    print("listening on 127.0.0.1:%d" % server.sockets[0].getsockname()[1], flush=True)
    await server.serve_forever()
asyncio.run(main())
"#;

impl SmtpSink {
    /// The maildir the server stores what it receives in.
    pub fn mailbox(&self) -> std::path::PathBuf {
        self.maildir.path().join("box")
    }

    /// A sink listening on a port it picked.
    pub fn start() -> SmtpSink {
        let mut sink = SmtpSink { child: None, port: 0, maildir: tempfile::tempdir().unwrap() };
        sink.listen();
        sink
    }

    /// A sink that listened once and was stopped: its port is known and, for now, refused,
    /// as a mail server that is down.
    pub fn down() -> SmtpSink {
        let mut sink = SmtpSink::start();
        sink.stop();
        sink
    }

    /// Listens again on its port after [`SmtpSink::stop`]: the mailer under test was given that
    /// port, so this is the one place a port is bound again after being let go.
    pub fn restart(&mut self) {
        assert!(self.child.is_none(), "the sink is listening already");
        self.listen();
    }

    fn listen(&mut self) {
        let mut command = Command::new("python3");
        command.args(["-c", SERVER, &self.port.to_string()]).arg(self.mailbox());
        let (child, port) = spawn_reporting_port(command, "listening on ").expect("aiosmtpd starts");
        assert!(self.port == 0 || self.port == port, "the sink came back on another port");
        self.child = Some(child);
        self.port = port;
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
