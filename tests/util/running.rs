//! A `pybench` run in progress: started, watched until a line shows, then
//! signalled or left to finish.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use super::{Pybench, Run};

/// A run in progress whose stdout is read in the background.
pub struct Running {
    pub child: Child,
    stdout: std::thread::JoinHandle<String>,
}

impl Running {
    /// Spawn a run and wait until its stdout has printed a line containing
    /// `marker`; the rest of stdout is read in the background.
    pub fn until(
        cmd: &Pybench,
        child_args: &[&str],
        env: &[(&str, &str)],
        marker: &str,
    ) -> Running {
        let mut child = cmd
            .command(child_args)
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut seen = String::new();
        for line in lines.by_ref() {
            let line = line.unwrap();
            seen.push_str(&line);
            seen.push('\n');
            if line.contains(marker) {
                break;
            }
        }
        let stdout = std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                seen.push_str(&line);
                seen.push('\n');
            }
            seen
        });
        Running { child, stdout }
    }

    /// Send the run the signal `name` (`INT`, `TERM`, `HUP`), as `kill`
    /// does from a shell or a CI runner.
    pub fn signal(&self, name: &str) {
        let sent = Command::new("kill")
            .args([&format!("-{name}"), &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success(), "kill -{name} {}", self.child.id());
    }

    /// What the run did, once it ends.
    pub fn finish(self) -> Run {
        let out = self.child.wait_with_output().unwrap();
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: self.stdout.join().unwrap(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}
