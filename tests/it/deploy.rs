//! The deployment files say only what pmsflow understands.
//!
//! - Every `PMSFLOW_*` variable named by the Helm chart (`deploy/helm/pmsflow`: Chart.yaml,
//!   values.yaml, every template) and by `deploy/Dockerfile` is a setting of
//!   `pmsflow.default.toml` (or `PMSFLOW_CONFIG`), and so is every key of the chart's
//!   `config` values, which the chart renders into `PMSFLOW_<SECTION>__<KEY>` variables.
//! - Those values, with the two an operator must give, make valid production settings, and the
//!   real binary accepts them as the chart's environment (it stops at the database, not at a
//!   setting).
//! - Chart.yaml and values.yaml parse; the templates (Go templates, not YAML) use only helpers
//!   they define and values that exist.
//! - The Grafana dashboard and docs/operations.md query only metrics pmsflow exports, and the
//!   settings docs/operations.md names exist.
//!
//! No database or Redis is needed.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use pmsflow_store::config::{check_env_names, Settings};
use pmsflow_tests::pmsflow_binary;
use regex::Regex;
use serde_json::{Map, Value};

/// The repository's root.
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

fn chart_dir() -> PathBuf {
    root().join("deploy/helm/pmsflow")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A YAML file as JSON values (every YAML file of the chart is a mapping).
fn yaml(path: &Path) -> Value {
    let value: Value = serde_norway::from_str(&read(path))
        .unwrap_or_else(|e| panic!("{} is not valid YAML: {e}", path.display()));
    assert!(value.is_object(), "{} is not a mapping", path.display());
    value
}

fn values() -> Value {
    yaml(&chart_dir().join("values.yaml"))
}

/// The chart's templates (`templates/*`), sorted by name.
fn templates() -> Vec<(PathBuf, String)> {
    let dir = chart_dir().join("templates");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no templates in {}", dir.display());
    files
        .into_iter()
        .map(|p| {
            let text = read(&p);
            (p, text)
        })
        .collect()
}

/// Every file of the chart and the Dockerfile, with its text.
fn deployment_files() -> Vec<(PathBuf, String)> {
    let mut files: Vec<(PathBuf, String)> = ["Chart.yaml", "values.yaml"]
        .iter()
        .map(|name| chart_dir().join(name))
        .chain([root().join("deploy/Dockerfile")])
        .map(|p| {
            let text = read(&p);
            (p, text)
        })
        .collect();
    files.extend(templates());
    files
}

/// The compiled-in defaults as JSON: `{section: {key: value}}`.
fn defaults() -> Value {
    serde_json::to_value(Settings::defaults().expect("the defaults load"))
        .expect("settings serialise")
}

/// Tables whose keys are free-form: endpoint keys of `[roles]` (checked when the API starts).
/// (`[scheduler.schedules]` keys are sweep names: they must be ones the defaults schedule.)
const FREE_FORM: &[&str] = &["roles"];

/// Why `path` (lower-case, e.g. `["mosip", "keymanager_url"]`) is not a setting, if it is not.
fn not_a_setting(defaults: &Value, path: &[String]) -> Option<String> {
    let mut node = defaults;
    for (depth, key) in path.iter().enumerate() {
        let Value::Object(table) = node else {
            return Some(format!("{} is not a table", path[..depth].join(".")));
        };
        match table.get(key) {
            Some(next) => node = next,
            None if depth == 1 && FREE_FORM.contains(&path[0].as_str()) => return None,
            None => {
                let known: Vec<&str> = table.keys().map(String::as_str).collect();
                let at = if depth == 0 {
                    "settings".to_owned()
                } else {
                    format!("[{}]", path[..depth].join("."))
                };
                return Some(format!("no {key} in {at} (known: {})", known.join(", ")));
            }
        }
    }
    node.is_object()
        .then(|| format!("{} is a table, not a setting", path.join(".")))
}

/// Why the environment variable `name` is not a setting, if it is not.
fn env_problem(defaults: &Value, name: &str) -> Option<String> {
    if name == "PMSFLOW_CONFIG" {
        return None;
    }
    if let Err(e) = check_env_names([name]) {
        return Some(e.to_string());
    }
    let Some(rest) = name.strip_prefix("PMSFLOW_") else {
        return Some("does not start with PMSFLOW_".to_owned());
    };
    if !rest.contains("__") {
        // check_env_names passed: one of its other variables (the test suite's), not the chart's.
        return Some("is no setting (PMSFLOW_<SECTION>__<KEY>) and no PMSFLOW_CONFIG".to_owned());
    }
    let path: Vec<String> = rest.split("__").map(str::to_ascii_lowercase).collect();
    not_a_setting(defaults, &path)
}

/// The `PMSFLOW_*` names in `text`; a bare `PMSFLOW_` (a template's `PMSFLOW_%s`, a placeholder
/// `PMSFLOW_<SECTION>`) is no name.
fn env_names(text: &str) -> BTreeSet<String> {
    let re = Regex::new(r"PMSFLOW_[A-Za-z0-9_-]*").expect("regex");
    re.find_iter(text)
        .map(|m| m.as_str().trim_end_matches(['_', '-']).to_owned())
        .filter(|name| name.len() > "PMSFLOW".len())
        .collect()
}

#[test]
fn chart_and_image_name_only_real_settings() {
    let defaults = defaults();
    let mut found = BTreeSet::new();
    let mut problems = Vec::new();
    for (path, text) in deployment_files() {
        for name in env_names(&text) {
            if let Some(why) = env_problem(&defaults, &name) {
                problems.push(format!("{}: {name}: {why}", path.display()));
            }
            found.insert(name);
        }
    }
    assert!(
        problems.is_empty(),
        "not settings:\n{}",
        problems.join("\n")
    );
    for name in [
        "PMSFLOW_DATABASE__URL",
        "PMSFLOW_REDIS__URL",
        "PMSFLOW_MOSIP__SECRET_KEY",
        "PMSFLOW_CONSOLE__CSRF_SECRET",
        "PMSFLOW_CONFIG",
        "PMSFLOW_API__BIND",
        "PMSFLOW_ADMIN__BIND",
    ] {
        assert!(
            found.contains(name),
            "the deployment files never name {name}"
        );
    }
}

/// The env value of one setting as the chart renders it (`pmsflow.envValue`): lists as
/// `["a","b"]`, whole numbers without a fraction, text as it is.
fn env_value(value: &Value) -> String {
    match value {
        Value::Array(items) => {
            let items: Vec<String> = items
                .iter()
                .map(|v| match v {
                    Value::String(s) => serde_json::to_string(s).expect("a string"),
                    other => serde_json::to_string(&other.to_string()).expect("a string"),
                })
                .collect();
            format!("[{}]", items.join(","))
        }
        Value::String(s) => s.clone(),
        Value::Number(n) => match n.as_f64() {
            Some(f) if f.fract() == 0.0 && n.as_i64().is_none() && n.as_u64().is_none() => {
                format!("{}", f as i64)
            }
            _ => n.to_string(),
        },
        other => other.to_string(),
    }
}

fn is_unset(value: &Value) -> bool {
    value.is_null() || value.as_str() == Some("")
}

/// The ConfigMap the chart renders from `config` (`pmsflow.configData`): variable -> value,
/// leaving out null and "" (the default applies).
fn rendered_env(config: &Map<String, Value>) -> Vec<(String, String)> {
    let mut env = Vec::new();
    for (section, keys) in config {
        let keys = keys.as_object().expect("a config section is a table");
        for (key, value) in keys {
            match value {
                Value::Object(entries) => {
                    for (entry, v) in entries.iter().filter(|(_, v)| !is_unset(v)) {
                        let name =
                            format!("PMSFLOW_{section}__{key}__{entry}").to_ascii_uppercase();
                        env.push((name, env_value(v)));
                    }
                }
                v if is_unset(v) => {}
                v => {
                    let name = format!("PMSFLOW_{section}__{key}").to_ascii_uppercase();
                    env.push((name, env_value(v)));
                }
            }
        }
    }
    env
}

/// Does `value` (from values.yaml) fit the setting whose default is `default`?
fn same_kind(default: &Value, value: &Value) -> bool {
    matches!(
        (default, value),
        (Value::String(_), Value::String(_))
            | (Value::Number(_), Value::Number(_))
            | (Value::Array(_), Value::Array(_))
            | (Value::Bool(_), Value::Bool(_))
    )
}

/// The values an operator must give (values.yaml leaves them empty, the chart requires them).
fn required_by_operator(config: &mut Map<String, Value>) {
    let auth = config
        .get_mut("auth")
        .and_then(Value::as_object_mut)
        .expect("config.auth");
    for (key, value) in [
        (
            "jwks_url",
            "https://iam.example.org/auth/realms/mosip/protocol/openid-connect/certs",
        ),
        ("issuer", "https://iam.example.org/auth/realms/mosip"),
    ] {
        let slot = auth.entry(key).or_insert(Value::Null);
        if is_unset(slot) {
            *slot = Value::String(value.to_owned());
        }
    }
}

#[test]
fn chart_config_values_are_real_settings_and_make_production_settings() {
    let defaults = defaults();
    let values = values();
    let config = values
        .get("config")
        .and_then(Value::as_object)
        .expect("values.yaml has a config table");
    let mut problems = Vec::new();
    for (section, keys) in config {
        let Some(keys) = keys.as_object() else {
            problems.push(format!("config.{section} is not a table"));
            continue;
        };
        if FREE_FORM.contains(&section.as_str()) {
            if defaults.get(section).is_none() {
                problems.push(format!("config.{section}: no such section"));
            }
            continue;
        }
        for (key, value) in keys {
            let path = [section.clone(), key.clone()];
            if let Some(why) = not_a_setting(&defaults, &path).filter(|_| {
                // A table of the defaults (scheduler.schedules) is checked entry by entry.
                !defaults[section][key].is_object()
            }) {
                problems.push(format!("config.{section}.{key}: {why}"));
                continue;
            }
            let default = &defaults[section][key];
            if let Value::Object(entries) = default {
                let Some(given) = value.as_object() else {
                    problems.push(format!("config.{section}.{key} must be a table"));
                    continue;
                };
                for (entry, v) in given {
                    match entries.get(entry) {
                        None => problems.push(format!(
                            "config.{section}.{key}.{entry}: unknown (known: {})",
                            entries.keys().cloned().collect::<Vec<_>>().join(", ")
                        )),
                        Some(d) if !is_unset(v) && !same_kind(d, v) => problems.push(format!(
                            "config.{section}.{key}.{entry}: {v} does not fit the default {d}"
                        )),
                        Some(_) => {}
                    }
                }
            } else if !is_unset(value) && !same_kind(default, value) {
                problems.push(format!(
                    "config.{section}.{key}: {value} does not fit the default {default}"
                ));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "config values:\n{}",
        problems.join("\n")
    );

    // Each rendered variable names a setting, as the process checks its environment.
    let mut given = config.clone();
    required_by_operator(&mut given);
    let env = rendered_env(&given);
    for (name, _) in &env {
        assert_eq!(env_problem(&defaults, name), None, "{name}");
    }

    // The values over the defaults are valid production settings: no sandbox, no dev tokens,
    // served on all interfaces without --dev.
    let mut merged = defaults.clone();
    for (section, keys) in &given {
        for (key, value) in keys.as_object().expect("a table") {
            let slot = &mut merged[section.as_str()][key.as_str()];
            match (slot, value) {
                (Value::Object(table), Value::Object(entries)) => {
                    for (entry, v) in entries.iter().filter(|(_, v)| !is_unset(v)) {
                        table.insert(entry.clone(), v.clone());
                    }
                }
                (_, v) if is_unset(v) => {}
                (slot, v) => *slot = v.clone(),
            }
        }
    }
    let settings: Settings = serde_json::from_value(merged).expect("the values fit the settings");
    settings.validate().expect("the values are valid settings");
    assert_eq!(
        settings
            .dev_exposure(false)
            .expect("production settings serve without --dev"),
        None
    );
    assert!(
        !settings.mosip.use_sandbox(),
        "the chart uses real MOSIP services"
    );
}

/// A database URL that refuses connections at once (nothing listens on port 1).
const NO_DATABASE: &str = "postgres://postgres@127.0.0.1:1/pmsflow_chart";

#[test]
fn the_binary_accepts_the_charts_environment() {
    let mut config = values()
        .get("config")
        .and_then(Value::as_object)
        .cloned()
        .expect("config");
    required_by_operator(&mut config);
    let env = rendered_env(&config);
    // As the migration Job and an api pod run: the ConfigMap's variables and the secrets.
    for args in [&["migrate"][..], &["serve", "--roles", "api"][..]] {
        let out = Command::new(pmsflow_binary())
            .args(args)
            .env_clear()
            .env("PMSFLOW_CONFIG", "/nonexistent/pmsflow.toml")
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .env("PMSFLOW_DATABASE__URL", NO_DATABASE)
            .env("PMSFLOW_REDIS__URL", "redis://127.0.0.1:1")
            .env("PMSFLOW_MOSIP__SECRET_KEY", "chart-test-secret")
            .env("PMSFLOW_CONSOLE__CSRF_SECRET", "chart-test-csrf-secret")
            .output()
            .expect("run pmsflow");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            !out.status.success(),
            "pmsflow {args:?} ran without a database"
        );
        assert!(
            !stderr.contains("configuration") && !stderr.contains("DEVELOPMENT MODE"),
            "pmsflow {args:?} refused the chart's settings: {stderr}"
        );
        assert!(
            stderr.contains("database.url"),
            "pmsflow {args:?} should stop at the database: {stderr}"
        );
    }
}

/// Walk `path` (dotted, after `.Values`) through values.yaml.
fn has_value(values: &Value, path: &str) -> bool {
    let mut node = values;
    for key in path.split('.') {
        match node.get(key) {
            Some(next) => node = next,
            None => return false,
        }
    }
    true
}

#[test]
fn chart_yaml_parses_and_templates_use_what_exists() {
    let chart = yaml(&chart_dir().join("Chart.yaml"));
    assert_eq!(chart["apiVersion"], "v2");
    assert_eq!(chart["name"], "pmsflow");
    assert!(
        chart["version"].as_str().is_some_and(|v| !v.is_empty()),
        "Chart.yaml: version"
    );
    assert_eq!(
        chart["appVersion"].as_str(),
        Some(env!("CARGO_PKG_VERSION")),
        "Chart.yaml: appVersion is the workspace's version"
    );
    let values = values();

    let templates = templates();
    let define = Regex::new(r#"define\s+"([^"]+)""#).expect("regex");
    let defined: BTreeSet<String> = templates
        .iter()
        .flat_map(|(_, text)| {
            define
                .captures_iter(text)
                .map(|c| c[1].to_owned())
                .collect::<Vec<_>>()
        })
        .collect();
    let used = Regex::new(r#"\b(?:include|template)\s+"([^"]+)""#).expect("regex");
    let value_ref = Regex::new(r"\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)").expect("regex");
    let mut problems = Vec::new();
    for (path, text) in &templates {
        let name = path.file_name().expect("a file name").to_string_lossy();
        if text.matches("{{").count() != text.matches("}}").count() {
            problems.push(format!("{name}: unbalanced {{{{ }}}}"));
        }
        for c in used.captures_iter(text) {
            if !defined.contains(&c[1]) {
                problems.push(format!("{name}: includes {:?}, defined nowhere", &c[1]));
            }
        }
        for c in value_ref.captures_iter(text) {
            let path = c[1].trim_start_matches('.');
            if !has_value(&values, path) {
                problems.push(format!("{name}: .Values.{path} is not in values.yaml"));
            }
        }
    }
    assert!(problems.is_empty(), "templates:\n{}", problems.join("\n"));

    // The image exposes the ports the chart's settings bind.
    let dockerfile = read(&root().join("deploy/Dockerfile"));
    let expose = dockerfile
        .lines()
        .find_map(|l| l.strip_prefix("EXPOSE "))
        .expect("the Dockerfile exposes ports");
    for setting in ["api", "admin"] {
        let bind = values["config"][setting]["bind"]
            .as_str()
            .expect("a bind address");
        let port = bind.rsplit(':').next().expect("host:port");
        assert!(
            expose.split_whitespace().any(|p| p == port),
            "EXPOSE {expose} lacks config.{setting}.bind's port {port}"
        );
    }
}

/// The metric names pmsflow's code exports: every `"pmsflow_..."` string in its sources.
fn exported_metrics() -> BTreeSet<String> {
    let literal = Regex::new(r#""(pmsflow_[a-z0-9_]+)""#).expect("regex");
    let mut names = BTreeSet::new();
    let mut dirs: Vec<PathBuf> = [
        "src",
        "api/src",
        "workers/src",
        "scheduler/src",
        "workflows/store/src",
        "workflows/core/src",
    ]
    .iter()
    .map(|d| root().join(d))
    .collect();
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                names.extend(literal.captures_iter(&read(&path)).map(|c| c[1].to_owned()));
            }
        }
    }
    names
}

/// `name` as exported: a histogram's series (`_bucket`, `_sum`, `_count`) by its base name.
fn is_exported(exported: &BTreeSet<String>, name: &str) -> bool {
    exported.contains(name)
        || ["_bucket", "_sum", "_count"].iter().any(|suffix| {
            name.strip_suffix(suffix)
                .is_some_and(|base| exported.contains(base))
        })
}

#[test]
fn dashboard_and_runbook_query_exported_metrics_and_name_real_settings() {
    let exported = exported_metrics();
    let metric = Regex::new(r"\bpmsflow_[a-z0-9_]+").expect("regex");

    let path = root().join("deploy/grafana/pmsflow.json");
    let dashboard: Value = serde_json::from_str(&read(&path)).expect("the dashboard is JSON");
    let variables = dashboard["templating"]["list"]
        .as_array()
        .expect("variables");
    assert!(
        variables
            .iter()
            .any(|v| v["name"] == "DS_PROMETHEUS" && v["type"] == "datasource"),
        "the dashboard's data source is the variable DS_PROMETHEUS"
    );
    let mut exprs = Vec::new();
    for panel in dashboard["panels"].as_array().expect("panels") {
        for target in panel["targets"].as_array().into_iter().flatten() {
            assert_eq!(
                target["datasource"]["uid"], "${DS_PROMETHEUS}",
                "panel {}: data source",
                panel["title"]
            );
            exprs.push(target["expr"].as_str().expect("an expression").to_owned());
        }
    }
    assert!(
        exprs.len() >= 10,
        "the dashboard has {} queries",
        exprs.len()
    );
    let runbook = read(&root().join("docs/operations.md"));
    let mut problems = Vec::new();
    for (source, text) in exprs
        .iter()
        .map(|e| ("dashboard", e.as_str()))
        .chain([("docs/operations.md", runbook.as_str())])
    {
        for m in metric.find_iter(text) {
            if !is_exported(&exported, m.as_str()) {
                problems.push(format!("{source}: {} is not exported", m.as_str()));
            }
        }
    }

    // Settings named in the runbook: `section.key` (or the chart's `config.section.key`) and
    // PMSFLOW_<SECTION>__<KEY>; a dotted name starting with a top-level key of values.yaml
    // may be a chart value instead.
    let defaults = defaults();
    let values = values();
    let code = Regex::new(r"`([A-Za-z_]+(?:\.[A-Za-z0-9_]+)+)`").expect("regex");
    for c in code.captures_iter(&runbook) {
        let dotted = &c[1];
        let first = dotted.split('.').next().expect("a first segment");
        let setting_path: Vec<String> = dotted
            .strip_prefix("config.")
            .unwrap_or(dotted)
            .split('.')
            .map(str::to_owned)
            .collect();
        let is_setting = not_a_setting(&defaults, &setting_path).is_none();
        let is_value = has_value(&values, dotted);
        let claims = defaults.get(first).is_some() || values.get(first).is_some();
        if claims && !is_setting && !is_value {
            problems.push(format!(
                "docs/operations.md: `{dotted}` is no setting nor chart value"
            ));
        }
    }
    for name in env_names(&runbook).into_iter().filter(|n| n.contains("__")) {
        if let Some(why) = env_problem(&defaults, &name) {
            problems.push(format!("docs/operations.md: {name}: {why}"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
