//! Faults met from the command line: two processes on one folder, a run that diverges, a kill,
//! a full disk, a read-only output folder.

#![allow(clippy::unwrap_used)] // test helpers: a failed setup step should abort the test

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

fn emopiano(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_emopiano"))
        .args(args)
        .output()
        .unwrap()
}

fn spawn(args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_emopiano"))
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("emopiano-faults-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// Waits until `path` exists (the first process is at work), or fails after a minute.
fn wait_for(path: &Path, first: &mut Child) {
    let start = Instant::now();
    while !path.exists() {
        if let Some(status) = first.try_wait().unwrap() {
            panic!(
                "the first process ended ({status}) before writing {}",
                path.display()
            );
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "{} never appeared",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Starts `args` (which write into `folder`) and, once `marker` exists there, runs them again
/// with `--resume`: the second must be refused at once (the first still at work when it
/// returns), naming the folder and the first process, and the first must finish.
fn refused_while_the_first_runs(args: &str, folder: &Path, marker: &str) {
    let out = folder.display().to_string();
    let mut args: Vec<&str> = args.split(' ').collect();
    args.extend(["--out", &out]);
    let mut first = spawn(&args);
    wait_for(&folder.join(marker), &mut first);
    args.push("--resume");
    let second = emopiano(&args);
    let err = String::from_utf8_lossy(&second.stderr);
    assert!(
        !second.status.success(),
        "the second process was accepted: {err}"
    );
    assert!(
        first.try_wait().unwrap().is_none(),
        "the first process had ended: the refusal was not tested against a live lock"
    );
    let holder = format!("process {}", first.id());
    assert!(
        err.contains(&out) && err.contains(&holder),
        "the refusal does not name the folder and {holder}: {err}"
    );
    println!("refused: {}", err.trim());
    let done = first.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&done.stderr);
    assert!(done.status.success(), "the first process failed: {err}");
}

#[test]
fn a_second_train_on_a_run_folder_is_refused_and_the_first_is_undisturbed() {
    let dir = scratch("train");
    let args = "train --emotion sad --arch lstm1 --epochs 6 --hidden 16 --window 20";
    refused_while_the_first_runs(args, &dir, "config.json");
    let metrics = std::fs::read_to_string(dir.join("metrics.csv")).unwrap();
    assert_eq!(metrics.lines().count(), 1 + 6, "{metrics}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_second_reproduce_into_an_experiment_folder_is_refused() {
    let dir = scratch("reproduce");
    let args = "reproduce --profile smoke --only lstm1 --only-emotions sad --melodies 1";
    refused_while_the_first_runs(args, &dir, "experiment.json");
    assert!(dir.join("table1.csv").exists());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_learning_rate_that_diverges_fails_naming_the_epoch_and_a_remedy() {
    let dir = scratch("diverges");
    let out = dir.display().to_string();
    let run = emopiano(&[
        "train",
        "--emotion",
        "sad",
        "--arch",
        "lstm1",
        "--epochs",
        "3",
        "--hidden",
        "16",
        "--window",
        "20",
        "--lr",
        "1e30",
        "--out",
        &out,
    ]);
    let err = String::from_utf8_lossy(&run.stderr);
    println!("{}", err.trim());
    assert!(
        !run.status.success(),
        "a diverged run ended with success: {err}"
    );
    for said in [
        "in epoch 1",
        "diverged",
        "lower learning rate",
        "--lr 1e29",
        "no weights",
    ] {
        assert!(err.contains(said), "{err:?} does not say {said:?}");
    }
    assert!(!String::from_utf8_lossy(&run.stdout).contains("generate with"));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A tiny run's arguments into `dir`.
fn tiny_run(dir: &Path) -> Vec<String> {
    let args = "train --emotion sad --arch lstm1 --epochs 8 --hidden 32 --window 20 --seed 5";
    let mut args: Vec<String> = args.split(' ').map(String::from).collect();
    args.extend(["--out".into(), dir.display().to_string()]);
    args
}

fn strs(args: &[String]) -> Vec<&str> {
    args.iter().map(String::as_str).collect()
}

#[test]
fn train_killed_at_twenty_moments_resumes_to_the_bytes_of_a_run_never_killed() {
    // The run's length: the shorter of two uninterrupted runs (the first one also loads the
    // binary and the corpus from a cold cache), so that the moments fall inside the runs.
    let reference = scratch("kill-reference");
    let mut whole = f64::INFINITY;
    for _ in 0..2 {
        let _ = std::fs::remove_dir_all(&reference);
        let started = Instant::now();
        let out = emopiano(&strs(&tiny_run(&reference)));
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        whole = whole.min(started.elapsed().as_secs_f64());
    }
    let files = ["metrics.csv", "model-best.bpk", "model-last.bpk"];
    let want: Vec<Vec<u8>> = files
        .iter()
        .map(|f| std::fs::read(reference.join(f)).unwrap())
        .collect();
    // One moment in each twentieth of 90% of the run (the runs' lengths vary), from process
    // start to the last file written: the corpus, the folder's settings, every epoch and its
    // checkpoint, the chosen weights.
    let mut rng = emopiano_common::rng::SplitMix64::new(41);
    let mut kills = 0;
    for k in 0..20 {
        let dir = scratch(&format!("kill-{k}"));
        let at = 0.9 * whole * (k as f64 + rng.unit_f64()) / 20.0;
        let mut child = spawn(&strs(&tiny_run(&dir)));
        std::thread::sleep(Duration::from_secs_f64(at));
        let _ = child.kill(); // SIGKILL (an error only where it had already ended)
        let killed = child.wait().unwrap();
        kills += usize::from(!killed.success());
        let mut resume = tiny_run(&dir);
        resume.push("--resume".into());
        let out = emopiano(&strs(&resume));
        assert!(
            out.status.success(),
            "killed at {at:.2} s ({killed}), the resume failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        for (file, want) in files.iter().zip(&want) {
            let got = std::fs::read(dir.join(file)).unwrap();
            assert!(
                &got == want,
                "killed at {at:.2} s: {file} differs after the resume"
            );
        }
        // The times of the epochs finished before the kill are kept too.
        let timing = std::fs::read_to_string(dir.join("timing.csv")).unwrap();
        assert_eq!(
            timing.lines().count(),
            1 + 8,
            "killed at {at:.2} s: {timing}"
        );
        println!("killed at {at:.2} s of {whole:.2} s ({killed}): resumed to the same bytes");
        std::fs::remove_dir_all(&dir).unwrap();
    }
    // Moments after a run had ended test nothing: most must have killed one.
    assert!(
        kills >= 15,
        "only {kills} of 20 moments found the run still going"
    );
    std::fs::remove_dir_all(&reference).unwrap();
}

/// Runs `script` with `sh` in a new user and mount namespace, where a tmpfs can be mounted
/// without privileges, and checks that it ran; `false` (after saying `skipped`) where this
/// machine's sandbox does not allow that: the capability is the sandbox's, not emopiano's.
fn in_namespace(script: &str) -> bool {
    let unshare = ["--user", "--map-root-user", "--mount"];
    let allowed = Command::new("unshare")
        .args(unshare)
        .arg("true")
        .output()
        .is_ok_and(|o| o.status.success());
    if !allowed {
        println!("skipped: this machine allows no unprivileged tmpfs");
        return false;
    }
    let out = Command::new("unshare")
        .args(unshare)
        .args(["sh", "-c", script])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    true
}

#[test]
fn a_full_disk_stops_the_run_by_name_and_a_resume_after_freeing_space_completes_it() {
    let reference = scratch("disk-reference");
    let out = emopiano(&strs(&tiny_run(&reference)));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let want = std::fs::read(reference.join("metrics.csv")).unwrap();
    let bin = env!("CARGO_BIN_EXE_emopiano");
    // From a disk that holds less than the settings to one that holds all but the last epochs:
    // the writes that fail are checkpoints, metric logs, tokens, settings.
    let mut survived = 0;
    for kb in [40, 80, 120, 160, 200] {
        let host = scratch(&format!("disk-{kb}"));
        let mount = host.join("disk");
        std::fs::create_dir_all(&mount).unwrap();
        let run = mount.join("run");
        let args = tiny_run(&run)[1..].join(" ");
        let (m, h) = (mount.display(), host.display());
        let script = format!(
            "mount -t tmpfs -o size={kb}k tmpfs {m} || exit 90
             {bin} train {args} > /dev/null 2> {h}/first.err; echo $? > {h}/first.rc
             cp -r {m}/run {h}/after 2> /dev/null
             mount -o remount,size=64m {m}
             {bin} train {args} --resume > /dev/null 2> {h}/second.err; echo $? > {h}/second.rc
             cp {m}/run/metrics.csv {h}/metrics.csv"
        );
        if !in_namespace(&script) {
            return;
        }
        let read = |name: &str| std::fs::read_to_string(host.join(name)).unwrap_or_default();
        let err = read("first.err");
        println!("{kb} KB: {}", err.trim());
        assert_eq!(
            read("first.rc").trim(),
            "1",
            "a full disk did not fail cleanly: {err}"
        );
        assert!(
            err.contains(&run.display().to_string()) && err.contains("No space left on device"),
            "the error names neither the file nor the cause: {err}"
        );
        // What the error says is complete is there, whole.
        if let Some(epoch) = complete_checkpoint(&err) {
            for kind in ["model", "optim", "scheduler"] {
                let file = format!("after/artifacts/checkpoint/{kind}-{epoch}.bpk");
                assert!(host.join(&file).is_file(), "{kb} KB: {file} is missing");
            }
            survived += 1;
        }
        assert_eq!(read("second.rc").trim(), "0", "{}", read("second.err"));
        assert!(
            std::fs::read(host.join("metrics.csv")).unwrap() == want,
            "{kb} KB: the resumed run's metrics.csv differs from an uninterrupted run's"
        );
        std::fs::remove_dir_all(&host).unwrap();
    }
    assert!(
        survived >= 2,
        "only {survived} disks filled after an epoch's checkpoint"
    );
    std::fs::remove_dir_all(&reference).unwrap();
}

/// The epoch of "the checkpoint of epoch N is complete" in an error.
fn complete_checkpoint(err: &str) -> Option<usize> {
    let (_, after) = err.split_once("the checkpoint of epoch ")?;
    after.split(' ').next()?.parse().ok()
}

#[test]
fn a_read_only_output_folder_is_refused_by_name_before_any_training() {
    let host = scratch("read-only");
    let mount = host.join("read-only");
    std::fs::create_dir_all(&mount).unwrap();
    let run = mount.join("run");
    let args = tiny_run(&run)[1..].join(" ");
    let bin = env!("CARGO_BIN_EXE_emopiano");
    let (m, h) = (mount.display(), host.display());
    // Root ignores permission bits, so the folder is a read-only mount instead.
    let script = format!(
        "mount -t tmpfs -o ro tmpfs {m} || exit 90
         {bin} train {args} > {h}/out 2> {h}/err; echo $? > {h}/rc"
    );
    if !in_namespace(&script) {
        return;
    }
    let read = |name: &str| std::fs::read_to_string(host.join(name)).unwrap_or_default();
    let err = read("err");
    println!("{}", err.trim());
    assert_eq!(read("rc").trim(), "1", "{err}");
    assert!(
        err.contains(&run.display().to_string()) && err.contains("Read-only file system"),
        "the error names neither the folder nor the cause: {err}"
    );
    assert_eq!(
        err.matches("Read-only file system").count(),
        1,
        "the cause is said more than once: {err}"
    );
    assert!(
        !read("out").contains(": epoch 1/"),
        "an epoch was trained: {}",
        read("out")
    );
    std::fs::remove_dir_all(&host).unwrap();
}
