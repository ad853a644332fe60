use super::*;

#[test]
fn empty_file_gives_defaults() {
    let c = Config::from_toml("").unwrap();
    assert_eq!(c, Config::default());
    assert_eq!(c.server.listen, vec!["127.0.0.1:2525".parse().unwrap()]);
    assert!(c.server.threads >= 1);
    assert_eq!(c.spool.dir, PathBuf::from("var/spool"));
    assert_eq!(c.local.maildir, "var/mail/{user}");
    assert!(!c.tls.enabled());
    assert_eq!(Config::load(None).unwrap(), c);
}

#[test]
fn issue_example_parses() {
    let c = Config::from_toml(
        r#"
[server]
hostname = "mx.example.test"
listen = ["127.0.0.1:2525", "[::1]:2525"]
[spool]
dir = "var/spool"
[local]
domains = ["example.test"]
maildir = "var/mail/{user}"      # {user} = the recipient's local part
[tls]
cert = "cert.pem"
key = "key.pem"
"#,
    )
    .unwrap();
    assert_eq!(c.server.hostname, "mx.example.test");
    assert_eq!(c.server.listen.len(), 2);
    assert!(c.tls.enabled());
    assert!(c.local.is_local_domain("EXAMPLE.test"));
    assert!(!c.local.is_local_domain("localhost"));
    assert_eq!(
        c.server.max_recipients, 100,
        "unset keys keep their defaults"
    );
}

#[test]
fn unknown_keys_are_named() {
    for (text, key) in [
        ("[server]\nhostnme = \"x\"\n", "hostnme"),
        ("[spooler]\ndir = \"x\"\n", "spooler"),
        ("top = 1\n", "top"),
        ("[tls]\ncertificate = \"x\"\n", "certificate"),
    ] {
        let err = Config::from_toml(text).unwrap_err().to_string();
        assert!(err.contains(key), "{err:?} does not name {key}");
    }
}

#[test]
fn bad_values_are_errors() {
    for text in [
        "[server]\nmax_recipients = \"many\"\n",
        "[server]\nlisten = [\"localhost\"]\n",
        "[server]\nlisten = []\n",
        "[server]\nthreads = 0\n",
        "[server]\nmax_recipients = -1\n",
        "[relay]\nnetworks = [\"10.0.0.0/33\"]\n",
        "[relay]\nnetworks = [\"nonsense\"]\n",
        "[tls]\ncert = \"c.pem\"\n",
    ] {
        assert!(
            Config::from_toml(text).is_err(),
            "{text:?} should be refused"
        );
    }
    let err = Config::from_toml("[spool]\nretry_scan = 0\n").unwrap_err();
    assert!(err.to_string().contains("spool.retry_scan"), "{err}");
    let ok = Config::from_toml("[spool]\nretry_scan = 5\n").unwrap();
    assert_eq!(ok.spool.retry_scan(), Duration::from_secs(5));
}

#[test]
fn times_too_long_to_make_a_deadline_of_are_errors_naming_the_key() {
    let huge = u64::MAX / 2;
    for (text, key) in [
        (
            format!("[server]\ncommand_timeout = {huge}\n"),
            "command_timeout",
        ),
        (format!("[server]\ndata_timeout = {huge}\n"), "data_timeout"),
        (
            format!("[spool]\nretry_scan = {huge}\n"),
            "spool.retry_scan",
        ),
        (
            format!("[[filter]]\nscript = \"a.py\"\ntimeout = {huge}\n"),
            "timeout",
        ),
        (
            "[[filter]]\nscript = \"a.py\"\nworkers = 100000000\n".to_string(),
            "workers",
        ),
    ] {
        let err = Config::from_toml(&text).unwrap_err().to_string();
        assert!(err.contains(key), "{text:?}: {err}");
    }
    let week = Config::from_toml("[server]\ncommand_timeout = 604800\n").unwrap();
    assert!(
        std::time::Instant::now()
            .checked_add(week.server.command_timeout())
            .is_some()
    );
}

#[test]
fn load_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("stackmail.toml");
    std::fs::write(&path, "[server]\nbogus = 1\n").unwrap();
    let err = Config::load(Some(&path)).unwrap_err().to_string();
    assert!(
        err.contains("stackmail.toml") && err.contains("bogus"),
        "{err}"
    );
    let err = Config::load(Some(&dir.path().join("missing.toml")))
        .unwrap_err()
        .to_string();
    assert!(err.contains("missing.toml"), "{err}");
}

#[test]
fn networks() {
    let relay = Config::from_toml(
        "[relay]\nnetworks = [\"192.0.2.0/24\", \"2001:db8::/32\", \"10.1.2.3\"]\n",
    )
    .unwrap()
    .relay;
    let ip = |s: &str| s.parse::<IpAddr>().unwrap();
    assert!(relay.allows(ip("192.0.2.200")));
    assert!(!relay.allows(ip("192.0.3.1")));
    assert!(relay.allows(ip("2001:db8:ffff::1")));
    assert!(!relay.allows(ip("2001:db9::1")));
    assert!(relay.allows(ip("10.1.2.3")));
    assert!(!relay.allows(ip("10.1.2.4")));
    assert!(
        relay.allows(ip("::ffff:192.0.2.1")),
        "v4-mapped clients match v4 networks"
    );
    let default = RelayConfig::default();
    assert!(
        default.allows(ip("127.1.2.3"))
            && default.allows(ip("::1"))
            && !default.allows(ip("192.0.2.1"))
    );
    assert!(
        "0.0.0.0/0"
            .parse::<Network>()
            .unwrap()
            .contains(ip("8.8.8.8"))
    );
    assert!(
        "10.0.0.0/7"
            .parse::<Network>()
            .unwrap()
            .contains(ip("11.255.0.1"))
    );
}

#[test]
fn session_config_follows_tls_and_loopback() {
    let mut c = Config::default();
    c.auth.users_file = Some("users".into());
    c.server.allow_auth_on_loopback_without_tls = true;
    assert!(c.session_config(true).auth_without_tls);
    assert!(!c.session_config(false).auth_without_tls);
    assert!(c.session_config(false).auth_available);
    assert!(!c.session_config(false).tls_available);
}

/// Every key documented in README.md exists, and every key that exists is documented.
#[test]
fn readme_documents_every_key() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let section = readme
        .split("## Configuration")
        .nth(1)
        .expect("README has a Configuration section");
    let block = section
        .split("```toml")
        .nth(1)
        .and_then(|b| b.split("```").next())
        .expect("a toml block");
    Config::from_toml(block).expect("the README example is a valid config");
    let documented: toml::Table = toml::from_str(block).unwrap();
    let all: toml::Table = toml::from_str(&toml::to_string(&full_config()).unwrap()).unwrap();
    for (section, keys) in &all {
        // `[[filter]]` is an array of tables: its keys are those of the first entry.
        let (keys, doc_section) = match keys {
            toml::Value::Array(a) => (
                a[0].as_table().unwrap(),
                documented
                    .get(section)
                    .and_then(|d| d.as_array())
                    .and_then(|d| d.first()),
            ),
            t => (t.as_table().unwrap(), documented.get(section)),
        };
        for key in keys.keys() {
            let doc = doc_section.and_then(|s| s.get(key));
            assert!(doc.is_some(), "README does not document [{section}] {key}");
        }
    }
}

/// A config with every optional key set, so serialization lists them all.
fn full_config() -> Config {
    let mut c = Config::default();
    c.tls.cert = Some("c".into());
    c.tls.key = Some("k".into());
    c.auth.users_file = Some("u".into());
    c.filter.push(FilterConfig::new("f.py"));
    c
}

#[test]
fn filters_default_to_none_and_take_defaults() {
    assert!(
        Config::default().filter.is_empty(),
        "no filter unless listed"
    );
    let c = Config::from_toml(
        "[[filter]]\nscript = \"filters/a.py\"\n[[filter]]\nscript = \"b.py\"\nphases = [\"rcpt\", \"data\"]\nworkers = 4\ntimeout = 30\non_error = \"accept\"\n",
    )
    .unwrap();
    assert_eq!(c.filter.len(), 2);
    assert_eq!(c.filter[0], FilterConfig::new("filters/a.py"));
    assert_eq!(c.filter[0].phases.len(), 6);
    assert_eq!(c.filter[1].phases, vec![Phase::Rcpt, Phase::Data]);
    assert_eq!(c.filter[1].workers, 4);
    assert_eq!(c.filter[1].timeout(), Duration::from_secs(30));
    assert_eq!(c.filter[1].on_error, OnError::Accept);
}

#[test]
fn filter_errors_name_the_key_and_value() {
    for (text, words) in [
        (
            "[[filter]]\nscript = \"a.py\"\nphases = [\"conect\"]\n",
            &["phases", "conect"][..],
        ),
        ("[[filter]]\nscript = \"a.py\"\nworkrs = 2\n", &["workrs"]),
        ("[[filter]]\nphases = [\"data\"]\n", &["script"]),
        ("[[filter]]\nscript = \"a.py\"\nworkers = 0\n", &["workers"]),
        ("[[filter]]\nscript = \"a.py\"\ntimeout = 0\n", &["timeout"]),
        ("[[filter]]\nscript = \"a.py\"\nphases = []\n", &["phases"]),
        (
            "[[filter]]\nscript = \"a.py\"\non_error = \"bounce\"\n",
            &["bounce"],
        ),
    ] {
        let err = Config::from_toml(text).unwrap_err().to_string();
        for w in words {
            assert!(err.contains(w), "{err:?} does not name {w}");
        }
    }
}

#[test]
fn filter_scripts_are_relative_to_the_config_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("stackmail.toml");
    std::fs::write(
        &path,
        "[[filter]]\nscript = \"filters/a.py\"\n[[filter]]\nscript = \"/abs/b.py\"\n",
    )
    .unwrap();
    let c = Config::load(Some(&path)).unwrap();
    assert_eq!(c.filter[0].script, dir.path().join("filters/a.py"));
    assert_eq!(c.filter[1].script, PathBuf::from("/abs/b.py"));
}

#[test]
fn a_reload_names_the_sections_that_need_a_restart() {
    let old = Config::from_toml("[[filter]]\nscript = \"a.py\"\n").unwrap();
    let filters_only = Config::from_toml("[[filter]]\nscript = \"b.py\"\nworkers = 4\n").unwrap();
    assert!(old.restart_sections(&filters_only).is_empty());
    let moved = Config::from_toml(
        "[server]\nlisten = [\"127.0.0.1:2526\"]\n[spool]\ndir = \"/tmp/elsewhere\"\n",
    )
    .unwrap();
    assert_eq!(old.restart_sections(&moved), ["server", "spool"]);
}
