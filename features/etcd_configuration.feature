@configuration
Feature: etcd's directories and unit are configured as the tutorial says
  The configuration directory holds the certificates, the data directory is private to the user etcd runs as,
  and systemd runs etcd with exactly the tutorial's flags.

  Background:
    Given a host where the etcd step was carried out

  Scenario: The configuration directory exists
    Then the configuration directory exists with its mode

  Scenario: The data directory exists and only etcd's user can enter it
    Then the data directory exists with its mode

  Scenario: The unit file is owned by root and writable by root only
    Then the unit file is owned by root and writable by root only

  Scenario: systemd has loaded the etcd unit as it is on disk
    Then systemd has loaded the unit from the unit directory

  Scenario: systemd accepts the etcd unit without warnings
    Then systemd-analyze verify accepts the unit

  Scenario Outline: The unit runs etcd with the configured --<flag>
    Then the unit passes --<flag> with the configured value

    Examples:
      | flag                        |
      | name                        |
      | initial-advertise-peer-urls |
      | listen-peer-urls            |
      | listen-client-urls          |
      | advertise-client-urls       |
      | initial-cluster-token       |
      | initial-cluster             |
      | initial-cluster-state       |
      | data-dir                    |

  Scenario: The unit runs the installed etcd with no other flag
    Then the unit passes no flag beyond the configured ones
