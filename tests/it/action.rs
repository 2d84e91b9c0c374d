//! The GitHub Action (action.yml, scripts/action/install.sh and run.sh) on a simulated runner:
//! `RUNNER_OS`/`RUNNER_ARCH`, `GITHUB_OUTPUT`, `GITHUB_STEP_SUMMARY` and `GITHUB_PATH` files,
//! and a temporary folder standing in for the GitHub release (`MLGATE_RELEASE_BASE=file://…`).
//! The fake archives hold either a tiny script that names its target, or the real binary under
//! test; the source-build fallback runs a fake `cargo` first on PATH that records its
//! arguments and drops the real binary where a release build would.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use sha2::{Digest, Sha256};

use crate::repo_path;

/// The version the fake releases carry (any version works: the script is told which).
const VERSION: &str = "0.1.0";

/// Every runner with a prebuilt archive: (RUNNER_OS, RUNNER_ARCH, target triple, extension).
const RUNNERS: [(&str, &str, &str, &str); 5] = [
    ("Linux", "X64", "x86_64-unknown-linux-musl", "tar.gz"),
    ("Linux", "ARM64", "aarch64-unknown-linux-musl", "tar.gz"),
    ("macOS", "X64", "x86_64-apple-darwin", "tar.gz"),
    ("macOS", "ARM64", "aarch64-apple-darwin", "tar.gz"),
    ("Windows", "X64", "x86_64-pc-windows-msvc", "zip"),
];

/// A simulated runner: a temp folder with the release, the runner's files and a work dir.
struct Runner {
    dir: tempfile::TempDir,
}

impl Runner {
    fn new() -> Self {
        let runner = Self {
            dir: tempfile::tempdir().unwrap(),
        };
        for sub in ["release", "work", "temp", "bin"] {
            std::fs::create_dir_all(runner.path(sub)).unwrap();
        }
        for file in ["output", "summary", "path"] {
            std::fs::write(runner.path(file), "").unwrap();
        }
        runner
    }

    fn path(&self, relative: &str) -> PathBuf {
        self.dir.path().join(relative)
    }

    fn read(&self, relative: &str) -> String {
        std::fs::read_to_string(self.path(relative)).unwrap()
    }

    /// Publishes `mlgate-<version>-<target>.<ext>` with `mlgate[.exe]` inside and its
    /// `.sha256`, the layout release.yml produces.
    fn publish(&self, version: &str, target: &str, ext: &str, binary: &[u8]) {
        let name = format!("mlgate-{version}-{target}");
        let stage = self.path(&format!("stage/{name}"));
        std::fs::create_dir_all(&stage).unwrap();
        let exe = if target.contains("windows") {
            "mlgate.exe"
        } else {
            "mlgate"
        };
        let bin = stage.join(exe);
        std::fs::write(&bin, binary).unwrap();
        make_executable(&bin);
        let dest = self.path(&format!("release/v{version}"));
        std::fs::create_dir_all(&dest).unwrap();
        let archive = dest.join(format!("{name}.{ext}"));
        let status = if ext == "zip" {
            Command::new("zip")
                .arg("-qr")
                .arg(&archive)
                .arg(&name)
                .current_dir(self.path("stage"))
                .status()
                .expect("`zip` is needed to build the fake Windows archive")
        } else {
            Command::new("tar")
                .arg("-czf")
                .arg(&archive)
                .arg(&name)
                .current_dir(self.path("stage"))
                .status()
                .unwrap()
        };
        assert!(status.success(), "packing {name}.{ext}");
        let hex = format!("{:x}", Sha256::digest(std::fs::read(&archive).unwrap()));
        std::fs::write(
            dest.join(format!("{name}.{ext}.sha256")),
            format!("{hex}  {name}.{ext}\n"),
        )
        .unwrap();
    }

    /// A `cargo` that records its working directory and arguments, and leaves the real
    /// binary where `cargo build --release` would.
    fn fake_cargo(&self) {
        let cargo = self.path("bin/cargo");
        std::fs::write(
            &cargo,
            "#!/bin/sh\n\
             printf '%s\\n' \"$PWD\" \"$*\" >>\"$FAKE_CARGO_LOG\"\n\
             mkdir -p \"$CARGO_TARGET_DIR/release\"\n\
             cp \"$REAL_MLGATE\" \"$CARGO_TARGET_DIR/release/mlgate\"\n\
             cp \"$REAL_MLGATE\" \"$CARGO_TARGET_DIR/release/mlgate.exe\"\n",
        )
        .unwrap();
        make_executable(&cargo);
    }

    /// Runs `scripts/action/<script>` as the runner `os`/`arch` with the given inputs.
    fn run(&self, script: &str, os: &str, arch: &str, env: &[(&str, &str)]) -> Output {
        let mut cmd = Command::new("bash");
        cmd.arg(repo_path(&format!("scripts/action/{script}")))
            .current_dir(self.path("work"));
        // Whatever the test process inherited (a CI runner's own GITHUB_* files, inputs of
        // an enclosing action) stays out.
        for (key, _) in std::env::vars_os() {
            let key = key.to_string_lossy().to_string();
            if key.starts_with("INPUT_")
                || key.starts_with("GITHUB_")
                || key.starts_with("MLGATE_")
                || key.starts_with("RUNNER_")
                || key.starts_with("MLFLOW_")
                || key.starts_with("DATABRICKS_")
            {
                cmd.env_remove(key);
            }
        }
        let path = format!(
            "{}:{}",
            self.path("bin").display(),
            std::env::var("PATH").unwrap_or_default()
        );
        cmd.env("PATH", path)
            .env("NO_COLOR", "1")
            .env("RUNNER_OS", os)
            .env("RUNNER_ARCH", arch)
            .env("RUNNER_TEMP", self.path("temp"))
            .env("GITHUB_OUTPUT", self.path("output"))
            .env("GITHUB_STEP_SUMMARY", self.path("summary"))
            .env("GITHUB_PATH", self.path("path"))
            .env(
                "MLGATE_RELEASE_BASE",
                format!("file://{}", self.path("release").display()),
            )
            .env("CARGO_TARGET_DIR", self.path("cargo-target"))
            .env("FAKE_CARGO_LOG", self.path("cargo.log"))
            .env("REAL_MLGATE", env!("CARGO_BIN_EXE_mlgate"));
        for (key, value) in env {
            cmd.env(key, value);
        }
        cmd.output().unwrap()
    }

    /// The step outputs written so far, both `key=value` and `key<<DELIM` forms.
    fn outputs(&self) -> BTreeMap<String, String> {
        parse_outputs(&self.read("output"))
    }
}

fn make_executable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// A tiny stand-in binary: says which archive it came from.
fn identity(target: &str) -> Vec<u8> {
    format!("#!/bin/sh\necho \"fake mlgate for {target}\"\n").into_bytes()
}

fn parse_outputs(text: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if let Some((key, delimiter)) = line.split_once("<<") {
            let mut value = Vec::new();
            for l in lines.by_ref() {
                if l == delimiter {
                    break;
                }
                value.push(l);
            }
            out.insert(key.to_string(), value.join("\n"));
        } else if let Some((key, value)) = line.split_once('=') {
            out.insert(key.to_string(), value.to_string());
        }
    }
    out
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn each_runner_gets_its_own_archive() {
    let runner = Runner::new();
    for (_, _, target, ext) in RUNNERS {
        runner.publish(VERSION, target, ext, &identity(target));
    }
    for (os, arch, target, ext) in RUNNERS {
        std::fs::write(runner.path("path"), "").unwrap();
        let out = runner.run("install.sh", os, arch, &[("INPUT_VERSION", VERSION)]);
        let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
        assert!(out.status.success(), "{os}/{arch}: {stderr}");
        assert!(
            stderr.contains(&format!("mlgate-{VERSION}-{target}.{ext}")),
            "{os}/{arch} downloads its archive: {stderr}"
        );
        assert!(stderr.contains("SHA-256 verified"), "{stderr}");
        assert!(
            stderr.contains(&format!("installed fake mlgate for {target}")),
            "{os}/{arch} runs the binary from its own archive: {stderr}"
        );
        let exe = if os == "Windows" {
            "mlgate.exe"
        } else {
            "mlgate"
        };
        let bin = stdout.trim();
        assert!(
            bin.ends_with(&format!("mlgate-{VERSION}-{target}/{exe}")),
            "{os}/{arch}: printed {bin}"
        );
        assert_eq!(
            runner.read("path").trim(),
            Path::new(bin).parent().unwrap().to_str().unwrap(),
            "{os}/{arch}: the binary's folder is added to GITHUB_PATH"
        );
    }
    assert!(
        !runner.path("cargo.log").exists(),
        "nothing was built from source"
    );
}

#[test]
fn the_version_comes_from_the_action_ref_else_cargo_toml() {
    let runner = Runner::new();
    let (os, arch, target, ext) = RUNNERS[0];
    runner.publish("9.8.7", target, ext, b"#!/bin/sh\necho tagged\n");
    runner.publish(
        env!("CARGO_PKG_VERSION"),
        target,
        ext,
        b"#!/bin/sh\necho from-cargo-toml\n",
    );
    // `uses: mlgate/mlgate@v9.8.7`: the tag is the version.
    let out = runner.run("install.sh", os, arch, &[("MLGATE_ACTION_REF", "v9.8.7")]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("installed tagged"));
    // `@v0`, a branch or a commit: the version in the action's Cargo.toml.
    for reference in ["v0", "main", ""] {
        let out = runner.run("install.sh", os, arch, &[("MLGATE_ACTION_REF", reference)]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert!(
            text(&out.stderr).contains("installed from-cargo-toml"),
            "ref `{reference}`: {}",
            text(&out.stderr)
        );
    }
    // Inside a remote action the runner's folder names the repository and ref when the
    // contexts are empty (the fake server URL keeps the download on this machine).
    let action_path = runner.path("temp/_actions/acme/gate/v9.8.7");
    let out = runner.run(
        "install.sh",
        os,
        arch,
        &[
            ("MLGATE_RELEASE_BASE", ""),
            ("GITHUB_SERVER_URL", "file:///nonexistent"),
            ("GITHUB_ACTION_PATH", action_path.to_str().unwrap()),
            ("MLGATE_SOURCE_DIR", repo_path("").to_str().unwrap()),
            ("INPUT_BUILD_FALLBACK", "false"),
        ],
    );
    assert!(
        text(&out.stderr).contains(&format!(
            "downloading file:///nonexistent/acme/gate/releases/download/v9.8.7/mlgate-9.8.7-{target}.{ext}"
        )),
        "{}",
        text(&out.stderr)
    );
    // A local `uses: ./`: the workflow's own repository.
    let out = runner.run(
        "install.sh",
        os,
        arch,
        &[
            ("MLGATE_RELEASE_BASE", ""),
            ("GITHUB_SERVER_URL", "file:///nonexistent"),
            ("GITHUB_REPOSITORY", "fork/mlgate"),
            ("INPUT_VERSION", "1.2.3"),
            ("INPUT_BUILD_FALLBACK", "false"),
        ],
    );
    assert!(text(&out.stderr)
        .contains("downloading file:///nonexistent/fork/mlgate/releases/download/v1.2.3/"));

    // Not a version: refused before any download (no path traversal through the URL).
    let out = runner.run("install.sh", os, arch, &[("INPUT_VERSION", "../../etc")]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("is not a release version"));
}

#[test]
fn a_checksum_mismatch_is_refused() {
    let runner = Runner::new();
    runner.fake_cargo();
    let (os, arch, target, ext) = RUNNERS[0];
    runner.publish(VERSION, target, ext, &identity(target));
    let sums = runner.path(&format!(
        "release/v{VERSION}/mlgate-{VERSION}-{target}.{ext}.sha256"
    ));
    std::fs::write(
        &sums,
        format!("{}  mlgate-{VERSION}-{target}.{ext}\n", "0".repeat(64)),
    )
    .unwrap();
    let out = runner.run("install.sh", os, arch, &[("INPUT_VERSION", VERSION)]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "::error title=mlgate install::checksum mismatch for mlgate-{VERSION}-{target}.{ext}: expected {}",
            "0".repeat(64)
        )),
        "{stderr}"
    );
    assert!(stderr.contains("refusing to install"), "{stderr}");
    assert!(
        text(&out.stdout).trim().is_empty(),
        "no binary path printed"
    );
    assert_eq!(runner.read("path"), "", "nothing added to PATH");
    assert!(
        !runner.path("cargo.log").exists(),
        "a bad download is not papered over by a build"
    );

    // A release without its checksum file is refused too.
    std::fs::remove_file(&sums).unwrap();
    let out = runner.run("install.sh", os, arch, &[("INPUT_VERSION", VERSION)]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("refusing to install an unverified binary"));

    // And through the action: the step fails, verdict=error, no exit-code (mlgate never ran).
    let out = runner.run(
        "run.sh",
        os,
        arch,
        &[("INPUT_VERSION", VERSION), ("INPUT_EXAMPLE", "true")],
    );
    assert_eq!(out.status.code(), Some(1));
    let outputs = runner.outputs();
    assert_eq!(outputs["verdict"], "error");
    assert!(!outputs.contains_key("exit-code"), "{outputs:?}");
    assert!(runner.read("summary").contains("could not be installed"));
}

#[test]
fn without_a_matching_release_it_builds_the_checkout() {
    let runner = Runner::new();
    runner.fake_cargo();
    // An empty release folder: v0.1.0 was never published.
    let out = runner.run("install.sh", "Linux", "X64", &[("INPUT_VERSION", VERSION)]);
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "::notice title=mlgate install::no release archive mlgate-{VERSION}-x86_64-unknown-linux-musl.tar.gz for v{VERSION}: building mlgate from"
        )),
        "{stderr}"
    );
    let log = runner.read("cargo.log");
    let root = repo_path("").canonicalize().unwrap();
    assert_eq!(
        log,
        format!(
            "{}\nbuild --release --locked --bin mlgate\n",
            root.display()
        ),
        "cargo ran once, in the action's checkout"
    );
    let built = runner.path("cargo-target/release/mlgate");
    assert_eq!(text(&out.stdout).trim(), built.to_str().unwrap());
    assert!(stderr.contains(&format!("installed mlgate {}", env!("CARGO_PKG_VERSION"))));

    // `version: source` builds without looking for a release; so does a runner without a
    // prebuilt target (Windows on Arm gets mlgate.exe).
    for (os, arch, version, exe) in [
        ("Linux", "X64", "source", "mlgate"),
        ("Windows", "ARM64", VERSION, "mlgate.exe"),
    ] {
        std::fs::remove_file(runner.path("cargo.log")).unwrap();
        let out = runner.run("install.sh", os, arch, &[("INPUT_VERSION", version)]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert!(!text(&out.stderr).contains("downloading"));
        assert!(runner
            .read("cargo.log")
            .contains("build --release --locked"));
        assert!(text(&out.stdout)
            .trim()
            .ends_with(&format!("release/{exe}")));
    }

    // build-fallback: false fails instead, and says why.
    let out = runner.run(
        "install.sh",
        "Linux",
        "X64",
        &[
            ("INPUT_VERSION", VERSION),
            ("INPUT_BUILD_FALLBACK", "false"),
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("and build-fallback is off"));
}

/// Publishes the binary under test as the Linux x64 release: a two-line wrapper that execs
/// it (packing the debug binary itself would cost seconds of gzip per test).
fn real_release(runner: &Runner) {
    let wrapper = format!(
        "#!/bin/sh\nexec '{}' \"$@\"\n",
        env!("CARGO_BIN_EXE_mlgate")
    );
    runner.publish(
        VERSION,
        "x86_64-unknown-linux-musl",
        "tar.gz",
        wrapper.as_bytes(),
    );
}

#[test]
fn a_failing_check_sets_outputs_and_exits_1() {
    let runner = Runner::new();
    real_release(&runner);
    let out = runner.run(
        "run.sh",
        "Linux",
        "X64",
        &[
            ("INPUT_VERSION", VERSION),
            ("INPUT_EXAMPLE", "true"),
            ("INPUT_REPORT", "audit.md"),
            ("INPUT_JUNIT", "junit.xml"),
        ],
    );
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(
        stdout.contains("mlgate: check --github --example --report audit.md --junit junit.xml"),
        "the command line is logged: {stdout}"
    );
    // Bundled rules: no `file=` naming mlgate's own policies/baseline.toml (the user has no
    // such file); with no mlgate.toml or workflow to point at, the run shows them.
    assert!(
        stdout.contains("::error title=users-group-can-manage%3A"),
        "annotations: {stdout}"
    );
    assert!(!stdout.contains("file=policies/baseline.toml"), "{stdout}");
    let outputs = runner.outputs();
    for (key, value) in [
        ("verdict", "fail"),
        ("exit-code", "1"),
        ("fail", "3"),
        ("error", "1"),
        ("pass", "8"),
        ("skipped", "0"),
        ("waived", "0"),
        ("gather_errors", "1"),
        ("report", "audit.md"),
        ("junit", "junit.xml"),
    ] {
        assert_eq!(outputs.get(key).map(String::as_str), Some(value), "{key}");
    }
    assert!(outputs["version"].starts_with(&format!("mlgate {} (", env!("CARGO_PKG_VERSION"))));
    assert!(Path::new(&outputs["path"]).is_file());
    assert!(runner.path("work/audit.md").is_file());
    assert!(runner.path("work/junit.xml").is_file());
    assert!(runner
        .read("summary")
        .starts_with("### mlgate: FAIL — models:/dolly3b/1"));
}

#[test]
fn a_passing_check_exits_0() {
    let runner = Runner::new();
    real_release(&runner);
    let snapshot = repo_path("tests/fixtures/snapshots/dolly3b-remediated.snapshot.json");
    let out = runner.run(
        "run.sh",
        "Linux",
        "X64",
        &[
            ("INPUT_VERSION", VERSION),
            ("INPUT_SNAPSHOT", snapshot.to_str().unwrap()),
            ("INPUT_POLICIES", "builtin:baseline"),
            ("INPUT_JSON", "results.json"),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let outputs = runner.outputs();
    assert_eq!(outputs["verdict"], "pass");
    assert_eq!(outputs["exit-code"], "0");
    assert_eq!(outputs["fail"], "0");
    assert_eq!(outputs["json"], "results.json");
    assert!(runner.read("summary").starts_with("### mlgate: PASS"));
}

#[test]
fn inputs_are_data_never_code() {
    let runner = Runner::new();
    real_release(&runner);
    // A policy list holding a command substitution and a glob: passed to mlgate word by word,
    // literally, so mlgate refuses the missing files (exit 2) and nothing runs.
    let out = runner.run(
        "run.sh",
        "Linux",
        "X64",
        &[
            ("INPUT_VERSION", VERSION),
            ("INPUT_EXAMPLE", "true"),
            ("INPUT_POLICIES", "$(touch pwned) `touch pwned2` *"),
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains(r"--policy \$\(touch --policy pwned\) --policy \`touch"),
        "{}",
        text(&out.stdout)
    );
    assert!(!runner.path("work/pwned").exists());
    assert!(!runner.path("work/pwned2").exists());
    // mlgate stopped before judging: the action still says so in its outputs and summary.
    let outputs = runner.outputs();
    assert_eq!(outputs["verdict"], "error");
    assert_eq!(outputs["exit-code"], "2");
    assert!(runner
        .read("summary")
        .contains("### mlgate: ERROR — exit 2 (usage or policy-file error)"));
}

#[test]
fn bad_inputs_are_usage_errors_before_any_download() {
    for (inputs, message) in [
        (
            vec![("INPUT_COMMAND", "deploy")],
            "input `command` must be `check` or `promote`, not `deploy`",
        ),
        (
            vec![("INPUT_EXAMPLE", "true"), ("INPUT_TO_ALIAS", "champion")],
            "input `to-alias` applies to `command: promote`, not `check`",
        ),
        (
            vec![("INPUT_COMMAND", "promote"), ("INPUT_EXAMPLE", "true")],
            "input `example` applies to `command: check`, not `promote`",
        ),
        (
            vec![("INPUT_COMMAND", "promote"), ("INPUT_TO_ALIAS", "champion")],
            "input `model` is required with `command: promote`",
        ),
        (
            vec![],
            "one of the inputs `model`, `snapshot` or `example: true` is required",
        ),
        (
            vec![("INPUT_EXAMPLE", "yes")],
            "input `example` must be true or false, not `yes`",
        ),
    ] {
        let runner = Runner::new();
        runner.fake_cargo();
        let out = runner.run("run.sh", "Linux", "X64", &inputs);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{inputs:?}: {stderr}");
        assert!(
            stderr.contains(&format!("::error title=mlgate action::{message}")),
            "{inputs:?}: {stderr}"
        );
        assert!(!stderr.contains("downloading"), "{stderr}");
        assert!(!runner.path("cargo.log").exists());
        let outputs = runner.outputs();
        assert_eq!(outputs["verdict"], "error");
        assert_eq!(outputs["exit-code"], "2");
    }
}

/// No printed line starts a workflow command mlgate did not write: GitHub's runner reads a
/// command from any log line that starts (after leading spaces) with `::`.
fn forged_commands(output: &Output) -> Vec<String> {
    [&output.stdout, &output.stderr]
        .into_iter()
        .flat_map(|bytes| text(bytes).lines().map(str::to_string).collect::<Vec<_>>())
        .filter(|line| line.trim_start().starts_with("::error::"))
        .collect()
}

#[test]
fn a_line_break_in_a_one_line_input_is_refused_and_forges_nothing() {
    for (input, name) in [
        ("INPUT_COMMAND", "command"),
        ("INPUT_EXAMPLE", "example"),
        ("INPUT_DRY_RUN", "dry-run"),
        ("INPUT_WORKING_DIRECTORY", "working-directory"),
        ("INPUT_FAIL_ON", "fail-on"),
        ("INPUT_TRACKING_URI", "tracking-uri"),
        ("INPUT_MODEL", "model"),
    ] {
        let runner = Runner::new();
        runner.fake_cargo();
        let forged = "x\n::error::forged\r\n::error::forged too";
        let mut inputs = vec![(input, forged)];
        if input != "INPUT_EXAMPLE" {
            inputs.push(("INPUT_EXAMPLE", "true"));
        }
        let out = runner.run("run.sh", "Linux", "X64", &inputs);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{input}: {stderr}");
        assert!(
            stderr.contains(&format!(
                "::error title=mlgate action::input `{name}` must be one line: it holds a line break"
            )),
            "{input}: {stderr}"
        );
        assert_eq!(forged_commands(&out), Vec::<String>::new(), "{input}");
        assert!(
            !runner.path("cargo.log").exists(),
            "refused before installing"
        );
        assert_eq!(runner.outputs()["verdict"], "error");
    }
}

#[test]
fn a_quoted_value_cannot_end_the_annotation() {
    // `%0A` is GitHub's own escape for a line break: quoted as `%250A`, it stays text.
    let runner = Runner::new();
    runner.fake_cargo();
    let out = runner.run(
        "run.sh",
        "Linux",
        "X64",
        &[("INPUT_COMMAND", "deploy%0A::error::forged")],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("not `deploy%250A::error::forged`"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn a_userinfo_is_masked_whole_even_without_a_scheme() {
    for (uri, shown) in [
        ("http://gate:p@ss@127.0.0.1:9", "http://***@127.0.0.1:9"),
        ("gate:p@ss@127.0.0.1:9", "***@127.0.0.1:9"),
        (
            "https://gate:p?s#s@127.0.0.1:9/x",
            "https://***@127.0.0.1:9/x",
        ),
    ] {
        let runner = Runner::new();
        real_release(&runner);
        let out = runner.run(
            "run.sh",
            "Linux",
            "X64",
            &[
                ("INPUT_VERSION", VERSION),
                ("INPUT_MODEL", "main.ml.churn@champion"),
                ("INPUT_TRACKING_URI", uri),
                ("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0"),
            ],
        );
        let stdout = text(&out.stdout);
        let logged = stdout
            .lines()
            .find(|l| l.starts_with("mlgate: "))
            .unwrap_or_default();
        assert!(
            logged.contains(&format!("--tracking-uri {shown} ")),
            "{uri}: {logged}"
        );
        assert!(logged.ends_with("-- main.ml.churn@champion"), "{logged}");
        for part in ["gate:p", "ss@127", "s#s"] {
            assert!(!logged.contains(part), "{uri}: {logged}");
        }
    }
}

#[test]
fn promote_inputs_become_promote_flags() {
    let runner = Runner::new();
    real_release(&runner);
    // Nothing listens on port 9 (discard): the gather fails, after the command line was built.
    let out = runner.run(
        "run.sh",
        "Linux",
        "X64",
        &[
            ("INPUT_VERSION", VERSION),
            ("INPUT_COMMAND", "promote"),
            ("INPUT_MODEL", "models:/churn/7"),
            ("INPUT_TO_ALIAS", "champion"),
            ("INPUT_DRY_RUN", "True"),
            ("INPUT_EXPECT_INCUMBENT", "5"),
            ("INPUT_TRACKING_URI", "http://gate:s3cret@127.0.0.1:9"),
            ("INPUT_FAIL_ON", "warning"),
            ("INPUT_ARGS", "--no-record\n--allow-all-skipped"),
            ("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0"),
        ],
    );
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains(
            "mlgate: promote --github --to-alias champion --expect-incumbent 5 --dry-run \
             --fail-on warning --tracking-uri http://***@127.0.0.1:9 --no-record \
             --allow-all-skipped -- models:/churn/7"
        ),
        "{stdout}"
    );
    assert!(!stdout.contains("s3cret"), "the password is not logged");
    let code = out.status.code().unwrap();
    let outputs = runner.outputs();
    assert_eq!(outputs["exit-code"], code.to_string());
    assert_eq!(code, 3, "could not gather: {}", text(&out.stderr));
    assert_eq!(outputs["promoted"], "false", "nothing moved");
}

/// A registry audit through the action (the shard matrix of docs/bulk.md): `--all-models` in `args`
/// stands for the model.
#[test]
fn a_registry_audit_needs_no_model_input() {
    let runner = Runner::new();
    real_release(&runner);
    let out = runner.run(
        "run.sh",
        "Linux",
        "X64",
        &[
            ("INPUT_VERSION", VERSION),
            ("INPUT_TRACKING_URI", "http://127.0.0.1:9"),
            ("INPUT_ARGS", "--all-models --shard 2/4"),
            ("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0"),
        ],
    );
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains(
            "mlgate: check --github --tracking-uri http://127.0.0.1:9 --all-models --shard 2/4"
        ),
        "{stdout}\n{}",
        text(&out.stderr)
    );
    assert_eq!(
        out.status.code(),
        Some(3),
        "could not list: {}",
        text(&out.stderr)
    );
}

/// The action's metadata, checked line by line (no YAML crate in the dependencies): a
/// composite action whose every input reaches the script as an INPUT_* variable, whose run
/// step pastes no expression into script text, and whose outputs are all written.
#[test]
fn action_yml_maps_every_input_and_output() {
    let yml = std::fs::read_to_string(repo_path("action.yml")).unwrap();
    let scripts = std::fs::read_to_string(repo_path("scripts/action/run.sh")).unwrap()
        + &std::fs::read_to_string(repo_path("scripts/action/install.sh")).unwrap();

    let section = |name: &str| -> Vec<String> {
        yml.lines()
            .skip_while(|l| *l != format!("{name}:"))
            .skip(1)
            .take_while(|l| l.is_empty() || l.starts_with(' '))
            .map(str::to_string)
            .collect()
    };
    let keys = |lines: &[String]| -> Vec<String> {
        lines
            .iter()
            .filter(|l| l.starts_with("  ") && !l.starts_with("   ") && l.ends_with(':'))
            .map(|l| l.trim().trim_end_matches(':').to_string())
            .collect()
    };
    let inputs = keys(&section("inputs"));
    let outputs_section = section("outputs");
    let outputs = keys(&outputs_section);
    let runs = section("runs");
    assert!(inputs.len() >= 20, "{inputs:?}");
    assert!(runs.iter().any(|l| l.trim() == "using: composite"));
    for l in &runs {
        if let Some(script) = l.trim().strip_prefix("run:") {
            assert!(!script.contains("${{"), "an expression in script text: {l}");
        }
    }
    let run_steps = runs.iter().filter(|l| l.trim().starts_with("run:")).count();
    let shells = runs.iter().filter(|l| l.trim() == "shell: bash").count();
    assert_eq!(run_steps, shells, "every run step names its shell");

    for input in &inputs {
        let var = format!("INPUT_{}", input.to_uppercase().replace('-', "_"));
        assert!(
            runs.iter()
                .any(|l| l.trim() == format!("{var}: ${{{{ inputs.{input} }}}}")),
            "input `{input}` is mapped to {var}"
        );
        assert!(scripts.contains(&var), "{var} is read by the scripts");
        let block = yml
            .split(&format!("\n  {input}:\n"))
            .nth(1)
            .expect("input block");
        assert!(
            block.starts_with("    description:"),
            "input `{input}` is described"
        );
    }

    // mlgate's own outputs (src/report/github.rs): the verdict, gather errors and one count
    // per outcome; the rest are written by run.sh.
    let mut from_mlgate: Vec<String> = mlgate::engine::Outcome::ALL
        .iter()
        .map(|o| o.as_str().to_string())
        .collect();
    // `promoted` (promote only) comes from mlgate, or from run.sh when mlgate wrote none.
    from_mlgate.extend(["verdict".to_string(), "gather_errors".to_string()]);
    assert!(scripts.contains("output promoted "));
    for output in &outputs {
        let step_output = if output == "gather-errors" {
            "gather_errors"
        } else {
            output
        };
        assert!(
            outputs_section.iter().any(
                |l| l.trim() == format!("value: ${{{{ steps.mlgate.outputs.{step_output} }}}}")
            ),
            "output `{output}` maps steps.mlgate.outputs.{step_output}"
        );
        assert!(
            from_mlgate.iter().any(|o| o == step_output)
                || scripts.contains(&format!("output {step_output} ")),
            "output `{output}` is written by mlgate or run.sh"
        );
    }
    for name in &from_mlgate {
        let output = name.replace('_', "-");
        assert!(outputs.contains(&output), "mlgate's `{name}` is exposed");
    }

    // Well-formed YAML too, where PyYAML is at hand (it is on the CI image).
    let parsed = Command::new("python3")
        .args([
            "-c",
            "import sys, yaml; d = yaml.safe_load(open(sys.argv[1])); \
             assert d['runs']['using'] == 'composite'; print(len(d['inputs']), len(d['outputs']))",
        ])
        .arg(repo_path("action.yml"))
        .output();
    if let Ok(out) = parsed {
        if !text(&out.stderr).contains("No module named") {
            assert!(out.status.success(), "{}", text(&out.stderr));
            assert_eq!(
                text(&out.stdout).trim(),
                format!("{} {}", inputs.len(), outputs.len())
            );
        }
    }
}

/// The targets the installer downloads are the ones the release workflow builds, and
/// cargo-binstall's metadata names the same archives.
#[test]
fn release_targets_agree() {
    let release = std::fs::read_to_string(repo_path(".github/workflows/release.yml")).unwrap();
    let install = std::fs::read_to_string(repo_path("scripts/action/install.sh")).unwrap();
    let cargo = std::fs::read_to_string(repo_path("Cargo.toml")).unwrap();
    for (_, _, target, ext) in RUNNERS {
        assert!(install.contains(target), "install.sh knows {target}");
        assert!(release.contains(target), "release.yml builds {target}");
        if ext == "zip" {
            assert!(cargo.contains(&format!("[package.metadata.binstall.overrides.{target}]")));
        }
    }
    assert!(release.contains("mlgate-${VERSION}-${TARGET}"));
    assert!(cargo.contains(
        "pkg-url = \"{ repo }/releases/download/v{ version }/{ name }-{ version }-{ target }.tar.gz\""
    ));
    assert!(cargo.contains("bin-dir = \"{ name }-{ version }-{ target }/{ bin }{ binary-ext }\""));
}

/// `mlgate --version` names the commit it was built from (build.rs), so a release archive or
/// an action log says exactly which code ran.
#[test]
fn version_names_the_commit() {
    let out = crate::mlgate().arg("--version").output().unwrap();
    let line = text(&out.stdout);
    let rest = line
        .strip_prefix(&format!("mlgate {} (", env!("CARGO_PKG_VERSION")))
        .and_then(|r| r.strip_suffix(")\n"))
        .unwrap_or_else(|| panic!("`{line}`"));
    let git = Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .current_dir(repo_path(""))
        .output();
    match git {
        Ok(git) if git.status.success() && std::env::var_os("MLGATE_COMMIT").is_none() => {
            assert_eq!(rest, text(&git.stdout).trim(), "the checkout's HEAD");
        }
        _ => assert!(
            rest == "unknown" || rest.chars().all(|c| c.is_ascii_alphanumeric()),
            "`{rest}`"
        ),
    }
}
