@configuration
Feature: etcd's directories and unit are configured as the tutorial says
  The configuration directory holds the certificates, the data directory is private to the user etcd runs as,
  and systemd runs etcd with exactly the tutorial's settings (the values below are the tutorial's for the member
  server; another edition's or --etcd-set's are checked where they differ).

  Background:
    Given a host where the etcd step was carried out

  Scenario: The configuration directory exists
    Then the configuration directory /etc/etcd exists with mode 0755 or stricter

  Scenario: The data directory exists and only etcd's user can enter it
    Then the data directory /var/lib/etcd exists with mode 0700

  Scenario: etcd keeps its database in the data directory
    Then etcd keeps its database in the data directory

  Scenario: The unit file is owned by root and writable by root only
    Then the unit file is owned by root and writable by root only

  Scenario: systemd has loaded the etcd unit as it is on disk
    Then systemd has loaded the unit from the unit directory

  Scenario: systemd accepts the etcd unit without warnings
    Then systemd-analyze verify accepts the unit

  Scenario Outline: etcd runs with the tutorial's <flag>
    Then etcd's <flag> is <value>

    Examples:
      | flag                        | value                        |
      | name                        | server                       |
      | initial-advertise-peer-urls | http://127.0.0.1:2380        |
      | listen-peer-urls            | http://127.0.0.1:2380        |
      | listen-client-urls          | http://127.0.0.1:2379        |
      | advertise-client-urls       | http://127.0.0.1:2379        |
      | initial-cluster-token       | etcd-cluster-0               |
      | initial-cluster             | server=http://127.0.0.1:2380 |
      | initial-cluster-state       | new                          |
      | data-dir                    | /var/lib/etcd                |

  Scenario: The unit runs the installed etcd with no other flag
    Then the unit passes no flag beyond the configured ones
