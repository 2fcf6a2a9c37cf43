"""etcd's precedence of its settings, one test per rule (core/etcdconfig.py), on environments and configuration
files as recorded lab hosts hold them. The rules are etcd's (3.4, 3.5 and 3.6 alike): etcdmain/config.go
``parse`` and ``configFromCmdLine``; pkg/flags/flag.go ``SetFlagsFromEnv``, ``setFlagFromEnv`` and
``verifyEnv``; embed/config.go for the configuration file and the defaults."""

from __future__ import annotations

import pytest

from core.etcdconfig import (HARMLESS, UNCLASSIFIED, WEAKENS, classify, environment_files, from_flags,
                             parse_environment_file, parse_environment_property, table_for)

UNIT = "/etc/systemd/system/etcd.service"
ENV_FILE = "/etc/etcd/etcd.env"
ETCD = "/usr/local/bin/etcd"


def applied(argv: str, env: list[tuple[str, str]] = (), files: dict[str, str] | None = None, version="3.4.23"):
    return from_flags(argv.split(), [(k, v, ENV_FILE) for k, v in env], UNIT, version,
                      lambda path: (files or {}).get(path))


def test_a_configuration_file_wins_alone():
    # etcdmain/config.go parse(): "if cfg.configFile != "" { err = cfg.configFromFile(...) } else
    # { err = cfg.configFromCmdLine() }": "other configuration command line flags and environment variables will
    # be ignored if provided"
    eff = applied(f"{ETCD} --config-file /etc/etcd/etcd.yml --name other", [("ETCD_DATA_DIR", "/elsewhere")],
                  {"/etc/etcd/etcd.yml": "name: server\ndata-dir: /var/lib/etcd\n"})
    assert eff.get("name").value == "server" and eff.get("name").where() == "name in /etc/etcd/etcd.yml"
    assert eff.get("data-dir").value == "/var/lib/etcd"
    assert {v.key for v in eff.ignored} == {"--name", "ETCD_DATA_DIR"}


def test_etcd_config_file_in_the_environment_names_the_file_when_the_flag_does_not():
    # parse(): "if cfg.configFile == "" { cfg.configFile = os.Getenv(flags.FlagToEnv("ETCD", "config-file")) }"
    eff = applied(ETCD, [("ETCD_CONFIG_FILE", "/etc/etcd/etcd.yml")], {"/etc/etcd/etcd.yml": "name: server\n"})
    assert eff.config_file == "/etc/etcd/etcd.yml" and eff.get("name").source == "config file"


def test_an_unreadable_configuration_file_is_refused():
    eff = applied(f"{ETCD} --config-file /nowhere.yml")
    assert eff.refused and "cannot be read" in eff.refused[0]


def test_a_variable_sets_what_no_flag_sets():
    # SetFlagsFromEnv: flags "not already set" take their value from ETCD_<NAME>
    eff = applied(f"{ETCD} --name server", [("ETCD_DATA_DIR", "/var/lib/etcd")])
    assert eff.get("data-dir").value == "/var/lib/etcd"
    assert eff.get("data-dir").where() == f"ETCD_DATA_DIR in {ENV_FILE}"
    assert eff.get("name").where() == f"--name in {UNIT}"


def test_an_empty_variable_is_not_used():
    # setFlagFromEnv: "val := os.Getenv(key); if val != "" { ... fs.Set(fname, val) }"
    eff = applied(ETCD, [("ETCD_INITIAL_CLUSTER_TOKEN", "")])
    assert eff.get("initial-cluster-token").source == "default"
    assert eff.get("initial-cluster-token").value == "etcd-cluster"


def test_a_flag_and_its_variable_both_set_is_refused():
    # verifyEnv: "if alreadySet[kv[0]] { plog.Fatalf("conflicting environment variable %q is shadowed by
    # corresponding command-line flag ...") }"
    eff = applied(f"{ETCD} --data-dir=/var/lib/etcd", [("ETCD_DATA_DIR", "/var/lib/etcd")])
    assert len(eff.refused) == 1 and "ETCD_DATA_DIR" in eff.refused[0] and "--data-dir" in eff.refused[0]


def test_a_variable_that_names_no_flag_is_unknown():
    # verifyEnv: "if strings.HasPrefix(env, prefix+"_") { plog.Warningf("unrecognized environment variable %s") }"
    eff = applied(ETCD, [("ETCD_DATADIR", "/var/lib/etcd")])
    assert [v.key for v in eff.unknown] == ["ETCD_DATADIR"]
    assert eff.get("data-dir").source == "default"


def test_a_flag_etcd_does_not_define_and_a_stray_argument_are_refused():
    # Go's flag package: "flag provided but not defined"; parse(): "'%s' is not a valid flag"
    eff = applied(f"{ETCD} --data-dirr /var/lib/etcd \\")
    assert any("--data-dirr" in r and "defines no such flag" in r for r in eff.refused)
    assert any("'\\\\' in" in r or "'\\'" in r for r in eff.refused)


def test_a_flag_of_a_later_release_is_refused_by_an_earlier_one():
    assert not applied(f"{ETCD} --unsafe-no-fsync", version="3.5.16").refused
    eff = applied(f"{ETCD} --tls-min-version TLS1.3", version="3.4.23")
    assert eff.refused and "--tls-min-version" in eff.refused[0]


def test_flags_etcd_no_longer_supports_are_ignored():
    # pkg/flags/ignored.go: IgnoredFlag "is no longer supported - ignoring" (seen in 3.4.23's --snapshot)
    eff = applied(f"{ETCD} --snapshot")
    assert [v.key for v in eff.ignored] == ["--snapshot"] and not eff.refused


def test_a_flag_written_either_way_is_the_same_and_a_bare_boolean_is_true():
    a = applied(f"{ETCD} --data-dir=/var/lib/etcd --client-cert-auth")
    b = applied(f"{ETCD} -data-dir /var/lib/etcd --client-cert-auth=true")
    assert a.get("data-dir").value == b.get("data-dir").value == "/var/lib/etcd"
    assert a.get("client-cert-auth").value == b.get("client-cert-auth").value == "true"


def test_initial_cluster_left_out_follows_the_name_and_peer_urls():
    # etcdmain/config.go configFromCmdLine: "if cfg.ec.Name != embed.DefaultName && cfg.ec.InitialCluster ==
    # cfg.ec.InitialClusterFromName(embed.DefaultName) { cfg.ec.InitialCluster = cfg.ec.InitialClusterFromName(...) }"
    eff = applied(f"{ETCD} --name server --initial-advertise-peer-urls http://127.0.0.1:2380")
    assert eff.get("initial-cluster").value == "server=http://127.0.0.1:2380"
    assert eff.get("initial-cluster").source == "default"
    assert eff.get("initial-cluster-state").value == "new"


def test_the_data_directory_left_out_is_named_after_the_member():
    # etcdmain/etcd.go: "if cfg.ec.Dir == "" { cfg.ec.Dir = fmt.Sprintf("%v.etcd", cfg.ec.Name) }"
    assert applied(f"{ETCD} --name server").get("data-dir").value == "server.etcd"


def test_the_configuration_files_tls_settings_are_nested_and_a_top_level_cert_file_is_unknown():
    # embed/config.go configYAML: ClientSecurityJSON `json:"client-transport-security"`, PeerSecurityJSON
    # `json:"peer-transport-security"`; keys etcd does not know are dropped by the YAML decoder without a word
    text = ("client-transport-security:\n  cert-file: /etc/etcd/s.crt\n  client-cert-auth: true\n"
            "peer-transport-security:\n  trusted-ca-file: /etc/etcd/ca.crt\ncert-file: /x\nquota-backend-byte: 1\n")
    eff = applied(f"{ETCD} --config-file /c.yml", files={"/c.yml": text})
    assert eff.get("cert-file").value == "/etc/etcd/s.crt"
    assert eff.get("client-cert-auth").value == "true"
    assert eff.get("peer-trusted-ca-file").where() == "peer-transport-security.trusted-ca-file in /c.yml"
    assert {v.key for v in eff.unknown} == {"cert-file", "quota-backend-byte"}


def test_a_later_assignment_of_the_environment_wins():
    # systemd.exec(5), EnvironmentFile=: "Settings from these files override settings made with Environment=.
    # If the same variable is set twice from these files, ... the later setting will override the earlier"
    eff = from_flags([ETCD], [("ETCD_NAME", "a", "Environment= of x"), ("ETCD_NAME", "b", "/etc/etcd/2.env")],
                     UNIT, "3.4.23")
    assert eff.get("name").value == "b" and eff.get("name").place == "/etc/etcd/2.env"


def test_each_release_is_read_with_its_own_table_or_the_nearest_older_one():
    assert table_for("3.4.23")[0] == "3.4.23" and table_for("3.4.30")[2] is True
    chosen, table, exact = table_for("3.6.5")
    assert chosen == "3.5.16" and not exact and "unsafe-no-fsync" in table
    assert "enable-v2" in table_for("3.4.23")[1] and table_for("3.4.23")[1]["auto-tls"]["boolean"]


@pytest.mark.parametrize("text, expected", [
    ("A=1\nB = two words  \n", [("A", "1"), ("B", "two words")]),
    ("# comment\n; also\nno equals sign\nC=3\n", [("C", "3")]),
    ('D="quoted \\"x\\" $y"\n', [("D", 'quoted "x" $y')]),
    ("E='single \\n verbatim'\n", [("E", "single \\n verbatim")]),
    ("F=con\\\ntinued\nG=1\n", [("F", "continued"), ("G", "1")]),
    ("H='two\nlines'\n", [("H", "two\nlines")]),
    ("I=a \"b\" c\n", [("I", 'a "b" c')]),
    ("not-a-name=1\nJ=\n", [("J", "")]),
])
def test_an_environment_file_is_read_as_systemd_reads_it(text, expected):
    # systemd.exec(5), EnvironmentFile=: comments with # or ;, lines without = ignored, blanks around an
    # unquoted value dropped and inner ones kept, backslash-newline continues, '' verbatim, "" with \ before " \ $
    assert parse_environment_file(text) == expected


def test_systemctls_environment_properties_are_read():
    assert parse_environment_property('A=1 "B=two words"') == [("A", "1"), ("B", "two words")]
    assert environment_files("/etc/etcd/etcd.env (ignore_errors=no) /etc/x.env (ignore_errors=yes)") == [
        ("/etc/etcd/etcd.env", False), ("/etc/x.env", True)]


@pytest.mark.parametrize("setting, value, arch, kind", [
    ("quota-backend-bytes", "8589934592", "", HARMLESS),
    ("listen-metrics-urls", "http://127.0.0.1:2381", "", HARMLESS),
    ("listen-metrics-urls", "http://0.0.0.0:2381", "", WEAKENS),
    ("enable-pprof", "true", "", WEAKENS),
    ("enable-pprof", "false", "", HARMLESS),
    ("unsafe-no-fsync", "true", "", WEAKENS),
    ("ETCD_UNSUPPORTED_ARCH", "arm64", "aarch64", HARMLESS),
    ("ETCD_UNSUPPORTED_ARCH", "arm64", "x86_64", WEAKENS),
    ("max-learners", "2", "", UNCLASSIFIED),
])
def test_settings_the_step_does_not_make_are_classified(setting, value, arch, kind):
    assert classify(setting, value, arch)[0] == kind
