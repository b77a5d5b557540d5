//! Outside servers the tests start (chromedriver, moto, localstripe, the SMTP sink). Each binds
//! port 0 and says which port it got, which is read from what it prints: no port is picked by
//! binding and dropping it first, which another process could take in between.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

/// How long a server may take to say where it listens.
const STARTING: Duration = Duration::from_secs(60);

/// Starts `command` and returns it with the port it reports listening on: in the first line of
/// its standard output or error that holds `marker`, the digits after the last `:` of the word
/// that follows it (or the word's leading digits). The rest of its output is read and dropped.
/// An error means the program could not be started (it is not installed, say); a server that
/// starts but names no port within a minute (or exits first) is stopped and started again, up to
/// three times, before the test fails with what it printed.
pub fn spawn_reporting_port(mut command: Command, marker: &'static str) -> std::io::Result<(Child, u16)> {
    let mut printed = Vec::new();
    for _ in 0..3 {
        let (mut child, port, said) = attempt(&mut command, marker)?;
        match port {
            Some(port) => return Ok((child, port)),
            None => {
                let _ = child.kill();
                let _ = child.wait();
                printed.push(said.lock().map(|s| s.join("\n")).unwrap_or_default());
            }
        }
    }
    panic!("{:?} did not say which port it listens on; it said:\n{}", command.get_program(), printed.join("\n--\n"));
}

/// What a server printed, line by line (the first fifty).
type Printed = Arc<Mutex<Vec<String>>>;

/// One start of `command`: the child, the port it named (if it did) and what it printed.
fn attempt(command: &mut Command, marker: &'static str) -> std::io::Result<(Child, Option<u16>, Printed)> {
    let mut child = command.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn()?;
    let (found, port) = mpsc::channel();
    let said = Arc::new(Mutex::new(Vec::new()));
    let stdout = child.stdout.take().map(|out| Box::new(out) as Box<dyn Read + Send>);
    let stderr = child.stderr.take().map(|err| Box::new(err) as Box<dyn Read + Send>);
    for output in [stdout, stderr].into_iter().flatten() {
        let found = found.clone();
        let said = said.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(output).lines().map_while(Result::ok) {
                if let Some(port) = port_after(&line, marker) {
                    let _ = found.send(port);
                }
                if let Ok(mut said) = said.lock()
                    && said.len() < 50
                {
                    said.push(line);
                }
            }
        });
    }
    drop(found);
    Ok((child, port.recv_timeout(STARTING).ok(), said))
}

/// The port in `line` after `marker`, as [`spawn_reporting_port`] reads it.
fn port_after(line: &str, marker: &str) -> Option<u16> {
    let word = line.split_once(marker)?.1.split_whitespace().next()?;
    let tail = word.rsplit_once(':').map_or(word, |(_, tail)| tail);
    let digits: String = tail.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok().filter(|port| *port != 0)
}

#[test]
fn ports_are_read_as_each_server_prints_them() {
    let chromedriver = "ChromeDriver was started successfully on port 38265.";
    assert_eq!(port_after(chromedriver, "successfully on port "), Some(38265));
    assert_eq!(port_after("Starting ChromeDriver 156 on port 0", "successfully on port "), None);
    assert_eq!(port_after(" * Running on http://127.0.0.1:33501", "Running on "), Some(33501));
    assert_eq!(port_after("======== Running on http://[::]:42215 ========", "Running on "), Some(42215));
    assert_eq!(port_after("listening on 127.0.0.1:2525", "listening on "), Some(2525));
}
